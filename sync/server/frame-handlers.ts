import type { Runtime } from '../common/runtime.js';
import { LIMITS } from '../protocol/limits.js';
import type {
  ClientFrame,
  ErrorCode,
  ErrorReply,
  ServerFrame,
  User,
} from '../protocol/frames.js';
import type { ServerStore } from './store/server-store.js';

/**
 * One message for "does not exist" and "not yours": a stranger must not learn which conversation
 * ids are real.
 */
export const CONVERSATION_NOT_FOUND = 'Conversation not found';

export interface HandlerContext {
  store: ServerStore;
  runtime: Runtime;
  /** The authenticated user whose connection sent the frame. */
  user: User;
}

/** A push to every open connection of `userIds`, optionally not to the requesting one. */
export interface Fanout {
  userIds: string[];
  frame: ServerFrame;
  exceptRequester: boolean;
}

/** The reply goes out first, then the pushes: callers apply them in that order. */
export interface HandlerResult {
  reply: ServerFrame;
  fanout: Fanout[];
}

type FrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;

export function errorReply(rid: string | undefined, code: ErrorCode, message: string): ErrorReply {
  return rid === undefined ? { type: 'error', code, message } : { type: 'error', rid, code, message };
}

export async function handleFrame(ctx: HandlerContext, frame: ClientFrame): Promise<HandlerResult> {
  switch (frame.type) {
    case 'send':
      return send(ctx, frame);
    case 'catch_up':
      return catchUp(ctx, frame);
    case 'list_conversations':
      return listConversations(ctx, frame);
    case 'start_conversation':
      return startConversation(ctx, frame);
    case 'receipt':
      return receipt(ctx, frame);
    case 'ping':
      return only({ type: 'ok', rid: frame.rid });
  }
}

async function send(ctx: HandlerContext, frame: FrameOf<'send'>): Promise<HandlerResult> {
  const result = await ctx.store.appendMessage({
    conversationId: frame.conversationId,
    senderId: ctx.user.id,
    clientMessageId: frame.clientMessageId,
    text: frame.text,
    sentAt: ctx.runtime.clock.now(),
  });
  switch (result.status) {
    case 'not_found':
      return only(errorReply(frame.rid, 'not_found', CONVERSATION_NOT_FOUND));
    case 'client_id_reused':
      return only(
        errorReply(frame.rid, 'invalid', 'This clientMessageId was already used for a message in another conversation'),
      );
    case 'duplicate':
      // Everyone was told the first time; telling them again would only duplicate work.
      return only({ type: 'sent', rid: frame.rid, event: result.event });
    case 'stored':
      return {
        reply: { type: 'sent', rid: frame.rid, event: result.event },
        // The sender's other devices need the message too.
        fanout: [{ userIds: result.memberIds, frame: { type: 'event', event: result.event }, exceptRequester: true }],
      };
  }
}

async function catchUp(ctx: HandlerContext, frame: FrameOf<'catch_up'>): Promise<HandlerResult> {
  const page = await ctx.store.readEvents({
    conversationId: frame.conversationId,
    userId: ctx.user.id,
    afterSeq: frame.afterSeq,
    limit: frame.limit ?? LIMITS.defaultCatchUpPage,
  });
  if (!page) return only(errorReply(frame.rid, 'not_found', CONVERSATION_NOT_FOUND));
  return only({
    type: 'events',
    rid: frame.rid,
    conversationId: frame.conversationId,
    events: page.events,
    hasMore: page.hasMore,
  });
}

async function listConversations(ctx: HandlerContext, frame: FrameOf<'list_conversations'>): Promise<HandlerResult> {
  const conversations = await ctx.store.listConversationsOf(ctx.user.id);
  return only({ type: 'conversations', rid: frame.rid, conversations });
}

async function startConversation(ctx: HandlerContext, frame: FrameOf<'start_conversation'>): Promise<HandlerResult> {
  // Usernames are stored lowercase; the frame carries whatever the user typed.
  const username = frame.username.trim().toLowerCase();
  const other = await ctx.store.findUserByUsername(username);
  if (!other) return only(errorReply(frame.rid, 'not_found', `No user named "${username}"`));
  if (other.id === ctx.user.id) {
    return only(errorReply(frame.rid, 'invalid', 'You cannot start a conversation with yourself'));
  }
  const { conversation, created } = await ctx.store.getOrCreateDirectConversation({
    id: ctx.runtime.random.uuid(),
    creatorId: ctx.user.id,
    otherId: other.id,
    createdAt: ctx.runtime.clock.now(),
  });
  const reply: ServerFrame = { type: 'conversation', rid: frame.rid, conversation };
  if (!created) return only(reply);
  return {
    reply,
    fanout: [
      {
        userIds: [ctx.user.id, other.id],
        frame: { type: 'conversation_added', conversation },
        exceptRequester: true,
      },
    ],
  };
}

async function receipt(ctx: HandlerContext, frame: FrameOf<'receipt'>): Promise<HandlerResult> {
  const result = await ctx.store.raiseWatermark({
    conversationId: frame.conversationId,
    userId: ctx.user.id,
    kind: frame.kind,
    seq: frame.seq,
  });
  if (!result) return only(errorReply(frame.rid, 'not_found', CONVERSATION_NOT_FOUND));
  const reply: ServerFrame = { type: 'ok', rid: frame.rid };
  if (!result.moved) return only(reply);
  return {
    reply,
    fanout: [
      {
        // The requester too: its own view of the watermark is whatever the server settled on
        // (clamped, never lowered), not what it asked for.
        userIds: result.memberIds,
        frame: {
          type: 'watermark',
          conversationId: frame.conversationId,
          userId: ctx.user.id,
          deliveredSeq: result.deliveredSeq,
          readSeq: result.readSeq,
        },
        exceptRequester: false,
      },
    ],
  };
}

function only(reply: ServerFrame): HandlerResult {
  return { reply, fanout: [] };
}
