import { ACCOUNT_CAPS } from '../../protocol/limits.js';
import { INBOX_LIMITS, type DeviceEnvelope } from '../../protocol/inbox-frames.js';
import { REFUSALS } from '../refusals.js';
import {
  errorReply,
  only,
  refuse,
  type Fanout,
  type FrameOf,
  type HandlerContext,
  type HandlerResult,
} from './handler-result.js';

/**
 * The device inbox (inbox-frames.ts): a device sends envelopes to other devices, each stored until
 * its device acknowledges it and pushed at once to whichever of the recipient's connections are
 * open. The server reads none of them.
 */

export async function sendToDevices(ctx: HandlerContext, frame: FrameOf<'send_to_devices'>): Promise<HandlerResult> {
  const overBudget = envelopeBudget(ctx, frame.rid, frame.envelopes.length);
  if (overBudget) return overBudget;
  const now = ctx.runtime.clock.now();
  const result = await ctx.store.deviceInbox.send({
    senderUserId: ctx.user.id,
    senderSessionId: ctx.device.sessionId,
    senderDevice: ctx.device.deviceNumber,
    clientId: frame.clientId,
    envelopes: frame.envelopes,
    now,
    expiredBefore: now - ACCOUNT_CAPS.sessionIdleExpiryMs,
    maxWaitingFromOneSender: INBOX_LIMITS.maxWaitingFromOneSender,
    maxWaitingPerDevice: INBOX_LIMITS.maxWaitingPerDevice,
  });
  switch (result.status) {
    case 'not_a_contact':
      return refuse(frame.rid, REFUSALS.not_a_contact);
    case 'devices_changed':
      return only({ type: 'devices_changed', rid: frame.rid, mismatches: result.mismatches });
    case 'duplicate':
      return only({ type: 'envelopes_sent', rid: frame.rid, clientId: frame.clientId });
    case 'stored':
      return {
        reply: {
          type: 'envelopes_sent',
          rid: frame.rid,
          clientId: frame.clientId,
          ...(result.full.length > 0 ? { full: result.full } : {}),
        },
        fanout: pushesOf(result.envelopes, ctx.user.id),
      };
  }
}

/**
 * Takes `count` envelopes from the sender's hourly budget of device envelopes; the refusal to
 * answer with when it has no room for them, else null.
 */
export function envelopeBudget(ctx: HandlerContext, rid: string, count: number): HandlerResult | null {
  if (ctx.throttle.sendEnvelopes(ctx.user.id, count)) return null;
  const retryAfterMs = ctx.throttle.envelopesRetryMs(ctx.user.id);
  return only({
    ...errorReply(rid, 'rate_limited', `Too many device envelopes; try again in ${Math.ceil(retryAfterMs / 1000)} s`),
    retryAfterMs,
  });
}

/** One push per recipient, with their devices' envelopes; the sender's own siblings' push skips the sending connection. */
function pushesOf(envelopes: ReadonlyArray<DeviceEnvelope & { recipientUserId: string }>, senderUserId: string): Fanout[] {
  const byUser = new Map<string, DeviceEnvelope[]>();
  for (const { recipientUserId, ...envelope } of envelopes) {
    const theirs = byUser.get(recipientUserId) ?? [];
    theirs.push(envelope);
    byUser.set(recipientUserId, theirs);
  }
  return [...byUser].map(([userId, theirs]) => ({
    userIds: [userId],
    frame: { type: 'inbox_push', envelopes: theirs },
    exceptRequester: userId === senderUserId,
  }));
}

export async function fetchInbox(ctx: HandlerContext, frame: FrameOf<'fetch_inbox'>): Promise<HandlerResult> {
  const page = await ctx.store.deviceInbox.read({
    sessionId: ctx.device.sessionId,
    afterId: frame.after,
    limit: frame.limit ?? INBOX_LIMITS.maxPage,
  });
  return only({ type: 'inbox', rid: frame.rid, ...page });
}

export async function ackInbox(ctx: HandlerContext, frame: FrameOf<'ack_inbox'>): Promise<HandlerResult> {
  await ctx.store.deviceInbox.acknowledge({ sessionId: ctx.device.sessionId, ids: frame.ids });
  return only({ type: 'ok', rid: frame.rid });
}
