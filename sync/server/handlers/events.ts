import { LIMITS } from '../../protocol/limits.js';
import { CHANGE_REFUSALS, REFUSALS } from '../refusals.js';
import { eventFanout, only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/** The conversation event log: new messages, changes to them, and reading it back. */

export async function send(ctx: HandlerContext, frame: FrameOf<'send'>): Promise<HandlerResult> {
  const result = await ctx.store.appendMessage({
    conversationId: frame.conversationId,
    senderId: ctx.user.id,
    clientMessageId: frame.clientMessageId,
    text: frame.text,
    replyTo: frame.replyTo ?? null,
    sentAt: ctx.runtime.clock.now(),
  });
  switch (result.status) {
    case 'not_found':
      return refuse(frame.rid, REFUSALS.conversationNotFound);
    case 'client_id_reused':
      return refuse(frame.rid, REFUSALS.clientIdReused);
    case 'message_id_taken':
      return refuse(frame.rid, REFUSALS.messageIdTaken);
    case 'reply_target_missing':
      return refuse(frame.rid, REFUSALS.replyTargetMissing);
    case 'duplicate':
      // Everyone was told the first time; telling them again would only duplicate work.
      return only({ type: 'sent', rid: frame.rid, event: result.event });
    case 'stored':
      // The sender's other devices need the message too.
      return { reply: { type: 'sent', rid: frame.rid, event: result.event }, fanout: [eventFanout(result.event, result.memberIds)] };
  }
}

export async function change(ctx: HandlerContext, frame: FrameOf<'change'>): Promise<HandlerResult> {
  const result = await ctx.store.appendChange({
    conversationId: frame.conversationId,
    senderId: ctx.user.id,
    clientChangeId: frame.clientChangeId,
    change: frame.change,
    sentAt: ctx.runtime.clock.now(),
  });
  switch (result.status) {
    case 'not_found':
      return refuse(frame.rid, REFUSALS.conversationNotFound);
    case 'client_id_reused':
      return refuse(frame.rid, REFUSALS.clientIdReused);
    case 'refused':
      return refuse(frame.rid, CHANGE_REFUSALS[result.reason]);
    case 'duplicate':
      return only({ type: 'sent', rid: frame.rid, event: result.event });
    case 'stored':
      return { reply: { type: 'sent', rid: frame.rid, event: result.event }, fanout: [eventFanout(result.event, result.memberIds)] };
  }
}

export async function catchUp(ctx: HandlerContext, frame: FrameOf<'catch_up'>): Promise<HandlerResult> {
  const page = await ctx.store.readEvents({
    conversationId: frame.conversationId,
    userId: ctx.user.id,
    afterSeq: frame.afterSeq,
    limit: frame.limit ?? LIMITS.defaultCatchUpPage,
  });
  if (!page) return refuse(frame.rid, REFUSALS.conversationNotFound);
  const events = withinByteBudget(page.events);
  return only({
    type: 'events',
    rid: frame.rid,
    conversationId: frame.conversationId,
    events,
    hasMore: page.hasMore || events.length < page.events.length,
  });
}

/**
 * A page of long messages could exceed what a client accepts in one frame; cut it (never below
 * one event) so the reply stays under LIMITS.maxCatchUpBytes. The client asks again for the rest.
 */
function withinByteBudget<T extends { kind: string }>(events: T[]): T[] {
  let bytes = 0;
  for (let i = 0; i < events.length; i += 1) {
    const event = events[i]!;
    // Worst case for JSON: 3 bytes per UTF-16 unit of text, plus the fixed fields.
    bytes += 256 + 3 * ('text' in event && typeof event.text === 'string' ? event.text.length : 0);
    if (bytes > LIMITS.maxCatchUpBytes && i > 0) return events.slice(0, i);
  }
  return events;
}
