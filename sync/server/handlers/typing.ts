import { hearsTyping } from '../../protocol/presence-rules.js';
import { REFUSALS } from '../refusals.js';
import { only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/**
 * "I am typing": relayed to the other members' connections and forgotten. Never stored, never
 * sent to the typer's own other devices (they know who is typing: nobody they need to show), and
 * only between members who have both written in the conversation, with no block between them
 * (presence-rules.ts: hearsTyping).
 */
export async function typing(ctx: HandlerContext, frame: FrameOf<'typing'>): Promise<HandlerResult> {
  // Relayed a moment ago (so the typer is a member): nothing to read, nothing to relay.
  if (ctx.throttle.typingRelayedRecently(ctx.user.id, frame.conversationId)) return only({ type: 'ok', rid: frame.rid });
  const conversation = await ctx.store.getConversationForMember(frame.conversationId, ctx.user.id);
  if (!conversation) return refuse(frame.rid, REFUSALS.conversation_not_found);
  const writers = new Set(await ctx.store.listWriters(frame.conversationId));
  const typerWrote = writers.has(ctx.user.id);
  // Never to anyone with a block between them and the typer (either way, any conversation).
  const blocked = typerWrote ? new Set(await ctx.store.listBlockedWith(ctx.user.id)) : new Set<string>();
  const others = conversation.members
    .map((member) => member.id)
    .filter((id) => id !== ctx.user.id && hearsTyping({ typerWrote, readerWrote: writers.has(id), blocked: blocked.has(id) }));
  // Nobody to tell, or told a moment ago (typed fast, sent often): heard at most once a second.
  if (others.length === 0 || !ctx.throttle.relayTyping(ctx.user.id, frame.conversationId)) {
    return only({ type: 'ok', rid: frame.rid });
  }
  return {
    reply: { type: 'ok', rid: frame.rid },
    fanout: [
      {
        userIds: others,
        frame: { type: 'typing', conversationId: frame.conversationId, userId: ctx.user.id },
        exceptRequester: true,
      },
    ],
  };
}
