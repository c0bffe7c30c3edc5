import { REFUSALS } from '../refusals.js';
import { only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/**
 * A member's conversation devices (protocol/conversation-devices.ts), asked before its first seal
 * there; anyone else hears what they hear of a conversation they are not in.
 */
export async function fetchConversationDevices(
  ctx: HandlerContext,
  frame: FrameOf<'fetch_conversation_devices'>,
): Promise<HandlerResult> {
  const devices = await ctx.store.conversationDevices(frame.conversationId, ctx.user.id);
  if (!devices) return refuse(frame.rid, REFUSALS.conversation_not_found);
  return only({ type: 'conversation_devices', rid: frame.rid, devices });
}
