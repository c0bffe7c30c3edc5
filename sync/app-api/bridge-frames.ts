/**
 * Frames of the browser bridge: the loopback WebSocket through which a page served by the browser
 * host reaches the client core (Electron uses IPC for the same calls). JSON text frames.
 *   page → host:  BridgeRequest  { id, method, args }
 *   host → page:  BridgeReply    { id, reply }   (reply is the dispatcher's result envelope)
 *                 BridgePush     { event }
 */
import type { AppEvent } from './contract.js';
import type { AppCallResult } from './dispatcher.js';

export const BRIDGE_PATH = '/bridge';
/** Requests larger than this are refused: the largest real call (a message) is far smaller. */
export const BRIDGE_MAX_FRAME_BYTES = 256 * 1024;

export interface BridgeRequest {
  id: number;
  method: string;
  args: unknown;
}

export interface BridgeReply {
  id: number;
  reply: AppCallResult;
}

export interface BridgePush {
  event: AppEvent;
}

export type BridgeServerFrame = BridgeReply | BridgePush;
