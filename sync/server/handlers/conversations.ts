import { directConversationId } from '../../common/conversation-ids.js';
import type { NewConversation } from '../../protocol/frames.js';
import { LIMITS } from '../../protocol/limits.js';
import { REFUSALS } from '../refusals.js';
import { conversationAddedFanout } from './conversation-added.js';
import { MAX_MEMBERS_PER_CONVERSATION_PAGE, withinPageBytes } from './conversation-list.js';
import { errorReply, only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/** One page of the caller's conversations; `next` tells the client where the next one starts. */
export async function listConversations(ctx: HandlerContext, frame: FrameOf<'list_conversations'>): Promise<HandlerResult> {
  const page = await ctx.store.listConversationsOf(ctx.user.id, {
    ...(frame.after !== undefined ? { after: frame.after } : {}),
    limit: frame.limit ?? LIMITS.maxConversationsPage,
    maxMembers: MAX_MEMBERS_PER_CONVERSATION_PAGE,
  });
  const conversations = withinPageBytes(page.conversations);
  const more = page.more || conversations.length < page.conversations.length;
  const next = more ? conversations.at(-1)?.id : undefined;
  return only({ type: 'conversations', rid: frame.rid, conversations, ...(next !== undefined ? { next } : {}) });
}

export async function findUser(ctx: HandlerContext, frame: FrameOf<'find_user'>): Promise<HandlerResult> {
  if (!ctx.throttle.lookup(ctx.user.id)) return tooManyLookups(ctx, frame.rid);
  const user = await ctx.store.findUserByUsername(normaliseUsername(frame.username));
  if (!user) return refuse(frame.rid, REFUSALS.no_such_user);
  return only({ type: 'user', rid: frame.rid, user: { id: user.id, username: user.username, displayName: user.displayName } });
}

/** The direct conversation with a username: for people the client has never seen (it needs the server). */
export async function startConversation(ctx: HandlerContext, frame: FrameOf<'start_conversation'>): Promise<HandlerResult> {
  if (!ctx.throttle.lookup(ctx.user.id)) return tooManyLookups(ctx, frame.rid);
  const other = await ctx.store.findUserByUsername(normaliseUsername(frame.username));
  if (!other) return refuse(frame.rid, REFUSALS.no_such_user);
  if (other.id === ctx.user.id) return refuse(frame.rid, REFUSALS.start_with_yourself);
  return create(ctx, frame.rid, directConversationId(ctx.user.id, other.id), { kind: 'direct', userId: other.id });
}

export async function createConversation(ctx: HandlerContext, frame: FrameOf<'create_conversation'>): Promise<HandlerResult> {
  return create(ctx, frame.rid, frame.conversationId, frame.conversation);
}

async function create(
  ctx: HandlerContext,
  rid: string,
  conversationId: string,
  conversation: NewConversation,
): Promise<HandlerResult> {
  const result = await ctx.store.createConversation({
    conversationId,
    creatorId: ctx.user.id,
    conversation,
    createdAt: ctx.runtime.clock.now(),
    maxMembers: ctx.limits.maxGroupMembers,
    caps: ctx.limits.caps,
  });
  if (result.status === 'refused') return refuse(rid, REFUSALS[result.reason]);
  if (result.status === 'existing') {
    // A resend (its reply was lost): the conversation as the creator may see it now, which is the
    // former member's view if they have left it since.
    const seen = await ctx.store.getConversationSeenBy(conversationId, ctx.user.id);
    return seen ? only({ type: 'conversation', rid, conversation: seen }) : refuse(rid, REFUSALS.conversation_not_found);
  }
  const stored = await ctx.store.getConversationForMember(conversationId, ctx.user.id);
  // Just created, the creator is a member: only their leaving at this very moment could make it
  // vanish, and then it is theirs no more.
  if (!stored) return refuse(rid, REFUSALS.conversation_not_found);
  const reply = { type: 'conversation', rid, conversation: stored } as const;
  // To whom it is a message request, it comes as one from the creator.
  const fanout = conversationAddedFanout(stored, ctx.user.id, result.memberIds, result.requestedIds);
  // The group's first event, so connected members need not ask for it.
  if (result.event)
    fanout.push({ userIds: result.memberIds, frame: { type: 'event', event: result.event }, exceptRequester: true });
  // No presence yet: nobody has written here (presence-rules.ts); the first messages introduce them.
  return { reply, fanout };
}

/** Looking people up by username is limited (frame-throttle.ts): a transient refusal, to ask again later. */
function tooManyLookups(ctx: HandlerContext, rid: string): HandlerResult {
  const seconds = Math.ceil(ctx.throttle.lookupRetryMs(ctx.user.id) / 1000);
  return only(errorReply(rid, 'rate_limited', `Too many username lookups; try again in ${seconds} s`));
}

/** Usernames are stored lowercase; frames carry whatever the person typed. */
function normaliseUsername(typed: string): string {
  return typed.trim().replace(/^@/, '').toLowerCase();
}
