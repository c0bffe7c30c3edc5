import type { EphemeralEnvelope } from '../../protocol/call-frames.js';
import type { OutgoingEnvelope } from '../../protocol/inbox-frames.js';
import { ACCOUNT_CAPS } from '../../protocol/limits.js';
import { REFUSALS } from '../refusals.js';
import { turnCredentials } from '../turn-credentials.js';
import { only, refuse, type Fanout, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';
import { envelopeBudget } from './inbox.js';

/**
 * Calls' requests (call-frames.ts). Relay credentials name the connection's own account; any
 * signed-in device may ask (the frame budget bounds how often), and a server with no relay
 * configured answers with none.
 */
export function fetchTurnCredentials(ctx: HandlerContext, frame: FrameOf<'fetch_turn_credentials'>): HandlerResult {
  if (!ctx.turn) return only({ type: 'turn_credentials', rid: frame.rid, iceServers: [], expiresAt: null });
  const { iceServer, expiresAt } = turnCredentials(ctx.turn, ctx.user.id, ctx.runtime.clock.now());
  return only({ type: 'turn_credentials', rid: frame.rid, iceServers: [iceServer], expiresAt });
}

/**
 * Forwards a call's envelopes (send_ephemeral) to the devices connected now, storing nothing:
 * addressed and budgeted as the device inbox's are, so it reaches only contacts' current devices,
 * and none of someone with a block between them and the sender.
 */
export async function sendEphemeral(ctx: HandlerContext, frame: FrameOf<'send_ephemeral'>): Promise<HandlerResult> {
  const overBudget = envelopeBudget(ctx, frame.rid, frame.envelopes.length);
  if (overBudget) return overBudget;
  const now = ctx.runtime.clock.now();
  const judged = await ctx.store.deviceInbox.address({
    senderUserId: ctx.user.id,
    senderSessionId: ctx.device.sessionId,
    envelopes: frame.envelopes,
    expiredBefore: now - ACCOUNT_CAPS.sessionIdleExpiryMs,
  });
  switch (judged.status) {
    case 'not_a_contact':
      return refuse(frame.rid, REFUSALS.not_a_contact);
    case 'devices_changed':
      return only({ type: 'devices_changed', rid: frame.rid, mismatches: judged.mismatches });
    case 'addressed': {
      // Never to anyone with a block between them and the sender, either way: a ring or a group
      // call's announcement goes nowhere, and the sender is answered as for any send.
      const blocked = new Set(await ctx.store.listBlockedWith(ctx.user.id));
      const delivered = frame.envelopes.filter((envelope) => !blocked.has(envelope.userId));
      return { reply: { type: 'ephemeral_sent', rid: frame.rid }, fanout: pushesOf(delivered, ctx, now) };
    }
  }
}

/** One push per person named, with their devices' envelopes; the sender's own siblings' push skips the sending connection. */
function pushesOf(envelopes: readonly OutgoingEnvelope[], ctx: HandlerContext, now: number): Fanout[] {
  const byUser = new Map<string, EphemeralEnvelope[]>();
  for (const { userId, deviceNumber, kind, ciphertext } of envelopes) {
    const forwarded = {
      senderUserId: ctx.user.id,
      senderDevice: ctx.device.deviceNumber,
      deviceNumber,
      kind,
      ciphertext,
      sentAt: now,
    };
    byUser.set(userId, [...(byUser.get(userId) ?? []), forwarded]);
  }
  return [...byUser].map(([userId, theirs]) => ({
    userIds: [userId],
    frame: { type: 'ephemeral_push', envelopes: theirs },
    exceptRequester: userId === ctx.user.id,
  }));
}
