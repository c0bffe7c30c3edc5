import { REFUSALS } from '../refusals.js';
import { errorReply, only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

export async function listConversations(ctx: HandlerContext, frame: FrameOf<'list_conversations'>): Promise<HandlerResult> {
  const conversations = await ctx.store.listConversationsOf(ctx.user.id);
  return only({ type: 'conversations', rid: frame.rid, conversations });
}

export async function startConversation(ctx: HandlerContext, frame: FrameOf<'start_conversation'>): Promise<HandlerResult> {
  // Usernames are stored lowercase; the frame carries whatever the user typed.
  const username = frame.username.trim().toLowerCase();
  const other = await ctx.store.findUserByUsername(username);
  if (!other) return only(errorReply(frame.rid, 'not_found', `No user named "${username}"`));
  if (other.id === ctx.user.id) return refuse(frame.rid, REFUSALS.startWithYourself);
  const { conversation, created } = await ctx.store.getOrCreateDirectConversation({
    id: ctx.runtime.random.uuid(),
    creatorId: ctx.user.id,
    otherId: other.id,
    createdAt: ctx.runtime.clock.now(),
  });
  const reply = { type: 'conversation', rid: frame.rid, conversation } as const;
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
    // Strangers until now: each needs the other's presence without reconnecting.
    introduce: [ctx.user.id, other.id],
  };
}
