import { turnCredentials } from '../turn-credentials.js';
import { only, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/**
 * Calls' requests (call-frames.ts). Relay credentials name the connection's own account; any
 * signed-in device may ask (the frame budget bounds how often), and a server with no relay
 * configured answers with none.
 */
export function fetchTurnCredentials(ctx: HandlerContext, frame: FrameOf<'fetch_turn_credentials'>): HandlerResult {
  if (!ctx.turn) return only({ type: 'turn_credentials', rid: frame.rid, iceServers: [], expiresAt: null });
  const { iceServer, expiresAt } = turnCredentials(ctx.turn, ctx.user.id, ctx.runtime.clock.now());
  return only({ type: 'turn_credentials', rid: frame.rid, iceServers: [iceServer], expiresAt });
}
