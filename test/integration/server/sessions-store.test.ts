/**
 * Using many sessions at once (the store contract's useSessions, which a node's periodic recheck
 * of its sockets calls), one suite over every backend: the same verdict and the same writes as
 * useSession gives each hash alone.
 */
import { expect, it } from 'vitest';
import { describeStoreContract, NOW } from '../../support/store-contract.js';

const EXPIRED_BEFORE = NOW - 1_000;
const TOUCH_BEFORE = NOW - 100;
const LATER = NOW + 50;

describeStoreContract('using many sessions at once', (suite) => {
  const lastUse = async (userId: string, sessionId: string) =>
    (await suite.store.listSessions(userId, 0)).find((session) => session.id === sessionId)?.lastUsedAt;

  it('answers the open ones, deletes the expired ones and touches those last used before the cut, as useSession would', async () => {
    const ann = await suite.person('ann');
    const ben = await suite.person('ben');
    const fresh = await suite.session(ann, NOW - 10);
    const stale = await suite.session(ann, NOW - 500);
    const expired = await suite.session(ben, NOW - 5_000);
    const edge = await suite.session(ben, EXPIRED_BEFORE);

    const open = await suite.store.useSessions({
      tokenHashes: [`hash-${fresh}`, `hash-${stale}`, `hash-${expired}`, `hash-${edge}`, 'hash-nobody', `hash-${fresh}`],
      now: LATER,
      expiredBefore: EXPIRED_BEFORE,
      touchBefore: TOUCH_BEFORE,
    });

    expect([...open].sort()).toEqual([`hash-${edge}`, `hash-${fresh}`, `hash-${stale}`].sort());
    // Used within the touch interval: left as it was. Used before it: now.
    expect(await lastUse(ann, fresh)).toBe(NOW - 10);
    expect(await lastUse(ann, stale)).toBe(LATER);
    expect(await lastUse(ben, edge)).toBe(LATER);
    // Expired: gone, as useSession leaves it.
    expect((await suite.store.listSessions(ben, 0)).map((session) => session.id)).toEqual([edge]);
    expect(
      await suite.store.useSession({ tokenHash: `hash-${expired}`, now: LATER, expiredBefore: 0, touchBefore: 0 }),
    ).toBeNull();
  });

  it('leaves every session as useSession does hash by hash, and answers an empty set for no hashes', async () => {
    const lastUses = [NOW, NOW - 200, NOW - 2_000, NOW - 999, NOW - 1_001, NOW - 99];
    const times = { now: LATER, expiredBefore: EXPIRED_BEFORE, touchBefore: TOUCH_BEFORE };
    // Two people whose devices were last used at the same times: one rechecked together, one alone.
    const together = await suite.person('together');
    const alone = await suite.person('alone');
    const sessionsOf = async (userId: string) => {
      const ids = [];
      for (const at of lastUses) ids.push(await suite.session(userId, at));
      return ids;
    };
    const togetherIds = await sessionsOf(together);
    const aloneIds = await sessionsOf(alone);

    expect(await suite.store.useSessions({ ...times, tokenHashes: [] })).toEqual(new Set());
    const open = await suite.store.useSessions({ ...times, tokenHashes: togetherIds.map((id) => `hash-${id}`) });
    const openAlone = [];
    for (const id of aloneIds) openAlone.push((await suite.store.useSession({ ...times, tokenHash: `hash-${id}` })) !== null);

    expect(togetherIds.map((id) => open.has(`hash-${id}`))).toEqual(openAlone);
    expect(openAlone).toEqual([true, true, false, true, false, true]);
    const afterwards = async (userId: string, ids: string[]) => {
      const listed = new Map((await suite.store.listSessions(userId, 0)).map((session) => [session.id, session.lastUsedAt]));
      return ids.map((id) => listed.get(id) ?? null);
    };
    expect(await afterwards(together, togetherIds)).toEqual(await afterwards(alone, aloneIds));
    expect(await afterwards(alone, aloneIds)).toEqual([NOW, LATER, null, LATER, null, NOW - 99]);
  });
});
