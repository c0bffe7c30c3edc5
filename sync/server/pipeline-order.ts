import { isPermanentError, type ClientFrame, type ErrorReply, type ServerFrame } from '../protocol/frames.js';

/** What the order of a conversation's queued frames rests on: its conversation and its client id. */
interface OrderedFrame {
  conversationId: string;
  clientId: string;
  after: string | undefined;
}

/** The frames an outbox sends, in the order they were written; null for every other frame. */
function orderedFrame(frame: ClientFrame): OrderedFrame | null {
  switch (frame.type) {
    case 'group_change':
      return { conversationId: frame.conversationId, clientId: frame.clientChangeId, after: frame.after };
    case 'create_conversation':
      return { conversationId: frame.conversationId, clientId: frame.conversationId, after: frame.after };
    case 'send_envelope':
      return { conversationId: frame.conversationId, clientId: frame.clientId, after: frame.after };
    case 'find_user':
    case 'typing':
    case 'catch_up':
    case 'list_conversations':
    case 'start_conversation':
    case 'receipt':
    case 'set_settings':
    case 'list_settings':
    case 'ping':
    case 'publish_keys':
    case 'fetch_key_bundles':
    case 'count_keys':
    case 'fetch_identity':
    case 'fetch_conversation_devices':
    case 'send_to_devices':
    case 'fetch_inbox':
    case 'ack_inbox':
    case 'describe_own_device':
    case 'link_device':
    case 'put_key_backup':
    case 'fetch_key_backup':
    case 'fetch_turn_credentials':
    case 'send_ephemeral':
      return null;
  }
}

/**
 * One connection's guard for pipelined frames (see `after` in frames.ts). The connection handles
 * its frames one at a time in arrival order; this remembers, per conversation, the last ordered
 * frame it handled and whether that failed transiently, and admits a frame naming `after` only
 * when that is the one it follows, unfailed. A refused frame counts as failed, so everything
 * pipelined behind a failure is refused too, and a retry (sent once the client has heard) can never
 * be overtaken by a frame written after it.
 */
export class PipelineOrder {
  private readonly last = new Map<string, { clientId: string; failed: boolean }>();

  /**
   * Conversations remembered, the least recently used forgotten first: an outbox pipelines into a
   * handful at once, while made-up conversation ids would otherwise grow the map for as long as the
   * connection lasts. A forgotten one only costs its next pipelined frame a refusal and a resend.
   */
  static readonly MAX_CONVERSATIONS = 256;

  get conversationsRemembered(): number {
    return this.last.size;
  }

  /** Null when the frame may be handled now; else the reply refusing it (then recorded as failed). */
  refusal(frame: ClientFrame): ErrorReply | null {
    const ordered = orderedFrame(frame);
    if (!ordered || ordered.after === undefined) return null;
    const last = this.last.get(ordered.conversationId);
    if (last !== undefined && last.clientId === ordered.after && !last.failed) return null;
    this.remember(ordered.conversationId, { clientId: ordered.clientId, failed: true });
    return {
      type: 'error',
      rid: frame.rid,
      code: 'out_of_order',
      message: `Not handled: ${ordered.after} is not the last frame of this conversation handled on this connection, or it failed`,
    };
  }

  /** The frame was handled and answered with `reply` (an internal error's reply included). */
  handled(frame: ClientFrame, reply: ServerFrame): void {
    const ordered = orderedFrame(frame);
    if (!ordered) return;
    // An envelope sealed for devices that are no longer the conversation's is sealed again and sent
    // again, as a transient failure is: what was pipelined behind it must not overtake it.
    const failed = reply.type === 'error' && (!isPermanentError(reply.code) || reply.reason === 'conversation_devices_changed');
    this.remember(ordered.conversationId, { clientId: ordered.clientId, failed });
  }

  private remember(conversationId: string, last: { clientId: string; failed: boolean }): void {
    // Deleted first, so the map's order is the order of last use.
    this.last.delete(conversationId);
    this.last.set(conversationId, last);
    if (this.last.size > PipelineOrder.MAX_CONVERSATIONS) this.last.delete(this.last.keys().next().value!);
  }
}
