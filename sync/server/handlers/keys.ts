import { ACCOUNT_CAPS } from '../../protocol/limits.js';
import { KEY_LIMITS } from '../../protocol/key-frames.js';
import { REFUSALS } from '../refusals.js';
import type { PrekeyCounts } from '../store/key-directory.js';
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
 * The key directory (key-frames.ts): a device publishes its keys and learns how many one-time
 * prekeys it has left; anyone signed in fetches a person's bundles. The store keeps the keys as
 * opaque text; clients check every signature.
 */

export async function publishKeys(ctx: HandlerContext, frame: FrameOf<'publish_keys'>): Promise<HandlerResult> {
  const result = await ctx.store.keyDirectory.publishKeys({
    userId: ctx.user.id,
    sessionId: ctx.device.sessionId,
    identityKey: frame.identityKey,
    replaceIdentity: frame.replaceIdentity ?? false,
    registrationId: frame.registrationId,
    signedPrekey: frame.signedPrekey,
    kyberLastResortPrekey: frame.kyberLastResortPrekey,
    ecPrekeys: frame.ecPrekeys ?? [],
    kyberPrekeys: frame.kyberPrekeys ?? [],
    maxStored: KEY_LIMITS.maxPrekeysStored,
    now: ctx.runtime.clock.now(),
  });
  if (result.status === 'refused') return refuse(frame.rid, REFUSALS[result.reason]);
  return only({ type: 'key_counts', rid: frame.rid, published: true, ...result.counts });
}

export async function countKeys(ctx: HandlerContext, frame: FrameOf<'count_keys'>): Promise<HandlerResult> {
  const counts = await ctx.store.keyDirectory.countPrekeys(ctx.device.sessionId);
  return only({
    type: 'key_counts',
    rid: frame.rid,
    published: counts !== null,
    ...(counts ?? { ecPrekeys: 0, kyberPrekeys: 0 }),
  });
}

/**
 * A person's bundles, each using up one one-time prekey of each kind. Everyone signed in gets the
 * same answer for the same person (a block is not told), within their fetch budget; each device
 * this took a one-time prekey of and left low is told to refill (a device low already was told
 * when it connected).
 */
export async function fetchKeyBundles(ctx: HandlerContext, frame: FrameOf<'fetch_key_bundles'>): Promise<HandlerResult> {
  if (!ctx.throttle.keyFetch(ctx.user.id, frame.userId)) {
    const retryAfterMs = ctx.throttle.keyFetchRetryMs(ctx.user.id, frame.userId);
    return only({
      ...errorReply(frame.rid, 'rate_limited', `Too many key fetches; try again in ${Math.ceil(retryAfterMs / 1000)} s`),
      retryAfterMs,
    });
  }
  const fetched = await ctx.store.keyDirectory.fetchBundles({
    userId: frame.userId,
    exceptSessionId: ctx.device.sessionId,
    expiredBefore: ctx.runtime.clock.now() - ACCOUNT_CAPS.sessionIdleExpiryMs,
  });
  if (!fetched) return refuse(frame.rid, REFUSALS.no_keys);
  const tookOneTimeKey = new Set(
    fetched.bundles.filter((bundle) => bundle.ecPrekey || !bundle.kyberPrekey.lastResort).map((bundle) => bundle.deviceNumber),
  );
  const fanout: Fanout[] = fetched.left
    .filter((device) => tookOneTimeKey.has(device.deviceNumber) && isLow(device))
    .map(({ deviceNumber, ecPrekeys, kyberPrekeys }) => ({
      userIds: [frame.userId],
      frame: { type: 'prekeys_low', deviceNumber, ecPrekeys, kyberPrekeys },
      exceptRequester: true,
    }));
  return {
    reply: {
      type: 'key_bundles',
      rid: frame.rid,
      userId: frame.userId,
      identityKey: fetched.identityKey,
      bundles: fetched.bundles,
    },
    fanout,
  };
}

/**
 * A person's identity key, null when they published none (nobody by that id looks the same).
 * Everyone signed in gets the same answer, within the asker's key fetch budget.
 */
export async function fetchIdentity(ctx: HandlerContext, frame: FrameOf<'fetch_identity'>): Promise<HandlerResult> {
  if (!ctx.throttle.identityFetch(ctx.user.id)) {
    const retryAfterMs = ctx.throttle.identityFetchRetryMs(ctx.user.id);
    return only({
      ...errorReply(frame.rid, 'rate_limited', `Too many key fetches; try again in ${Math.ceil(retryAfterMs / 1000)} s`),
      retryAfterMs,
    });
  }
  const identityKey = await ctx.store.keyDirectory.identityKey(frame.userId);
  return only({ type: 'identity', rid: frame.rid, userId: frame.userId, identityKey });
}

/** Whether a device should publish more one-time prekeys. */
export function isLow(counts: PrekeyCounts): boolean {
  return counts.ecPrekeys < KEY_LIMITS.prekeysLowWater || counts.kyberPrekeys < KEY_LIMITS.prekeysLowWater;
}
