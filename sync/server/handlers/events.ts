import type { ConversationEvent, GroupChangeEvent } from '../../protocol/frames.js';
import { LIMITS } from '../../protocol/limits.js';
import { REFUSALS } from '../refusals.js';
import type { Refused } from '../store/server-store.js';
import { pageParts } from './catch-up-parts.js';
import { conversationAddedFanout } from './conversation-added.js';
import { eventFanout, only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/** The conversation event log: envelopes, group changes, and reading it back. */

/**
 * A sealed envelope (envelope-frames.ts), numbered, stored and pushed to every member; the server
 * knows its sender and device, never what it says.
 */
export async function sendEnvelope(ctx: HandlerContext, frame: FrameOf<'send_envelope'>): Promise<HandlerResult> {
  const result = await ctx.store.appendEnvelope({
    conversationId: frame.conversationId,
    senderId: ctx.user.id,
    senderDevice: ctx.device.deviceNumber,
    clientId: frame.clientId,
    ciphertext: frame.ciphertext,
    attachments: frame.attachments ?? [],
    deletes: frame.deletes ?? null,
    devicesVersion: frame.devicesVersion ?? null,
    expiresInMs: frame.expiresInMs ?? null,
    sentAt: ctx.runtime.clock.now(),
  });
  if (result.status === 'devices_changed') {
    // The refusal carries what the sender needs to seal it again: the devices it is to be sealed for.
    const { code, reason, message } = REFUSALS.conversation_devices_changed;
    return only({ type: 'error', rid: frame.rid, code, reason, message, devices: result.devices });
  }
  return answerWriting(ctx, frame.rid, result);
}

/** The answer to an envelope: as any stored event, and the sender's first word there introduces them. */
function answerWriting(
  ctx: HandlerContext,
  requestId: string,
  result:
    | Refused
    | { status: 'duplicate'; event: ConversationEvent }
    | { status: 'stored'; event: ConversationEvent; memberIds: string[]; firstMessage: boolean },
): HandlerResult {
  switch (result.status) {
    case 'refused':
      return refuse(requestId, REFUSALS[result.reason]);
    case 'duplicate':
      return accepted(requestId, result);
    case 'stored': {
      const reply = accepted(requestId, result);
      if (!result.firstMessage) return reply;
      // The sender's first word here: they and the members who wrote before may share presence now.
      const others = result.memberIds.filter((id) => id !== ctx.user.id);
      return { ...reply, introduce: { newcomers: [ctx.user.id], others } };
    }
  }
}

/** A group's members or roles change: one event, to every member after it and whoever it removed. */
export async function groupChange(ctx: HandlerContext, frame: FrameOf<'group_change'>): Promise<HandlerResult> {
  const result = await ctx.store.appendGroupChange({
    conversationId: frame.conversationId,
    senderId: ctx.user.id,
    clientChangeId: frame.clientChangeId,
    change: frame.change,
    sentAt: ctx.runtime.clock.now(),
    maxMembers: ctx.limits.maxGroupMembers,
    caps: ctx.limits.caps,
  });
  switch (result.status) {
    case 'refused':
      return refuse(frame.rid, REFUSALS[result.reason]);
    case 'duplicate':
      return accepted(frame.rid, result);
    case 'stored': {
      const reply = accepted(frame.rid, result);
      const parted = partedBy(result.event);
      // No longer a member: they may share presence with the members who wrote here no more.
      if (parted !== null) return { ...reply, parted: { userId: parted, conversationId: frame.conversationId } };
      if (result.addedIds.length === 0) return reply;
      // The people added need the conversation itself before its events mean anything to them;
      // pushes to one connection keep their order, so it arrives before the event. No presence:
      // they have not written here yet (presence-rules.ts).
      const conversation = await ctx.store.getConversationForMember(frame.conversationId, ctx.user.id);
      if (!conversation) return reply;
      return {
        reply: reply.reply,
        // To whom it is a message request, it comes as one from the sender (not as the sender sees it).
        fanout: [...conversationAddedFanout(conversation, ctx.user.id, result.addedIds, result.requestedIds), ...reply.fanout],
      };
    }
  }
}

/** Who a group change took out of the group: the person removed, or the one who left. */
function partedBy(event: GroupChangeEvent): string | null {
  switch (event.kind) {
    case 'member_removed':
      return event.userId;
    case 'member_left':
      return event.senderId;
    case 'members_added':
    case 'role_changed':
      return null;
  }
}

/**
 * The reply to a stored envelope or group change. A duplicate (a resend) gets the original event and no
 * pushes: everyone was told the first time. A new event also goes to every other connection of
 * every member, the sender's other devices included.
 */
function accepted(
  rid: string,
  result: { status: 'duplicate'; event: ConversationEvent } | { status: 'stored'; event: ConversationEvent; memberIds: string[] },
): HandlerResult {
  const reply = { type: 'sent' as const, rid, event: result.event };
  return result.status === 'stored' ? { reply, fanout: [eventFanout(result.event, result.memberIds)] } : only(reply);
}

export async function catchUp(ctx: HandlerContext, frame: FrameOf<'catch_up'>): Promise<HandlerResult> {
  const page = await ctx.store.readEvents({
    conversationId: frame.conversationId,
    userId: ctx.user.id,
    afterSeq: frame.afterSeq,
    limit: frame.limit ?? LIMITS.defaultCatchUpPage,
  });
  if (!page) return refuse(frame.rid, REFUSALS.conversation_not_found);
  const events = withinByteBudget(page.events);
  const { parts, last } = frame.inParts
    ? pageParts(frame.rid, frame.conversationId, events, page.users)
    : { parts: [], last: { events, users: page.users } };
  const reply = only({
    type: 'events',
    rid: frame.rid,
    conversationId: frame.conversationId,
    events: last.events,
    hasMore: page.hasMore || events.length < page.events.length,
    ...(page.skippedTo !== undefined ? { skippedTo: page.skippedTo } : {}),
    users: last.users,
  });
  return parts.length > 0 ? { ...reply, parts } : reply;
}

/**
 * A page of envelopes could exceed what a client accepts in one frame; cut it (never below one
 * event) so the reply stays under LIMITS.maxCatchUpBytes. The client asks again for the rest.
 */
function withinByteBudget(events: ConversationEvent[]): ConversationEvent[] {
  let bytes = 0;
  for (let i = 0; i < events.length; i += 1) {
    const event = events[i]!;
    // The fixed fields, and an envelope's ciphertext (base64: one byte a character) and upload ids.
    bytes += 256;
    if (event.kind === 'envelope') bytes += event.ciphertext.length + 64 * event.attachments.length;
    if (bytes > LIMITS.maxCatchUpBytes && i > 0) return events.slice(0, i);
  }
  return events;
}
