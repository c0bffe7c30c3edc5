import { ACCOUNT_CAPS } from '../../protocol/limits.js';
import { REFUSALS } from '../refusals.js';
import { envelopeBudget } from './inbox.js';
import { only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/**
 * Linking a device (link-frames.ts): one of the account's devices describes another of its own
 * before the person confirms, then hands it the identity, sealed to a key the server never saw.
 */

export async function describeOwnDevice(ctx: HandlerContext, frame: FrameOf<'describe_own_device'>): Promise<HandlerResult> {
  const device = await ctx.store.deviceInbox.ownDevice({
    userId: ctx.user.id,
    deviceNumber: frame.deviceNumber,
    expiredBefore: ctx.runtime.clock.now() - ACCOUNT_CAPS.sessionIdleExpiryMs,
  });
  if (!device) return refuse(frame.rid, REFUSALS.no_such_device);
  return only({
    type: 'own_device',
    rid: frame.rid,
    deviceNumber: frame.deviceNumber,
    deviceName: device.deviceName,
    linked: device.linked,
  });
}

export async function linkDevice(ctx: HandlerContext, frame: FrameOf<'link_device'>): Promise<HandlerResult> {
  // A hand-over counts against the same hourly budget as device envelopes.
  const overBudget = envelopeBudget(ctx, frame.rid, 1);
  if (overBudget) return overBudget;
  const now = ctx.runtime.clock.now();
  const result = await ctx.store.deviceInbox.sendLink({
    senderUserId: ctx.user.id,
    senderSessionId: ctx.device.sessionId,
    senderDevice: ctx.device.deviceNumber,
    clientId: frame.clientId,
    deviceNumber: frame.deviceNumber,
    handOver: frame.handOver,
    now,
    expiredBefore: now - ACCOUNT_CAPS.sessionIdleExpiryMs,
  });
  const reply = { type: 'device_link_sent' as const, rid: frame.rid, clientId: frame.clientId };
  switch (result.status) {
    case 'no_such_device':
      return refuse(frame.rid, REFUSALS.no_such_device);
    case 'device_already_linked':
      return refuse(frame.rid, REFUSALS.device_already_linked);
    case 'duplicate':
      return only(reply);
    case 'stored':
      return {
        reply,
        fanout: [{ userIds: [ctx.user.id], frame: { type: 'inbox_push', envelopes: [result.envelope] }, exceptRequester: true }],
      };
  }
}
