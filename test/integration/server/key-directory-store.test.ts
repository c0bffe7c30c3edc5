/**
 * The key directory's store contract (key-directory.ts), one suite over every backend: device
 * numbers, publishing (identity, completeness, growing ids, caps), reading an identity key, fetching (bundles per device,
 * one-time keys used up, never one key twice under concurrent fetches), and a session's end
 * taking its device's keys with it.
 */
import { expect, it } from 'vitest';
import { KEY_LIMITS } from '../../../sync/protocol/key-frames.js';
import type { PublishKeys } from '../../../sync/server/store/key-directory.js';
import { ecKey, ecPrekeys, firstPublish, kyberPrekeys, signedPrekey } from '../../support/key-material.js';
import { describeStoreContract, LONG_AGO, NOW } from '../../support/store-contract.js';

describeStoreContract('the key directory store', (suite) => {
  function publish(userId: string, sessionId: string, frame: ReturnType<typeof firstPublish>, more: Partial<PublishKeys> = {}) {
    return suite.store.keyDirectory.publishKeys({
      userId,
      sessionId,
      identityKey: frame.identityKey,
      replaceIdentity: frame.replaceIdentity ?? false,
      registrationId: frame.registrationId,
      signedPrekey: frame.signedPrekey,
      kyberLastResortPrekey: frame.kyberLastResortPrekey,
      ecPrekeys: frame.ecPrekeys ?? [],
      kyberPrekeys: frame.kyberPrekeys ?? [],
      maxStored: KEY_LIMITS.maxPrekeysStored,
      now: NOW,
      ...more,
    });
  }

  const fetch = (userId: string, exceptSessionId = 'nobody', expiredBefore = LONG_AGO) =>
    suite.store.keyDirectory.fetchBundles({ userId, exceptSessionId, expiredBefore });

  it('numbers each user’s devices from 1, a new one taking the lowest number none of their sessions holds', async () => {
    const ann = await suite.person();
    const ben = await suite.person();
    const first = await suite.session(ann);
    const second = await suite.session(ann);
    const third = await suite.session(ann);
    await suite.session(ben);
    expect(await suite.store.endSessions({ userId: ann, ids: [second] })).toEqual([second]);
    // Number 2 is free again (libsignal's device ids run 1–127: numbers must come back), 4 is next after that.
    const fourth = await suite.session(ann);
    const fifth = await suite.session(ann);
    const listed = await suite.store.listSessions(ann, LONG_AGO);
    expect(Object.fromEntries(listed.map((session) => [session.id, session.deviceNumber]))).toEqual({
      [first]: 1,
      [fourth]: 2,
      [third]: 3,
      [fifth]: 4,
    });
    expect(await suite.store.endSessions({ userId: ann, ids: [first] })).toEqual([first]);
    const sixth = await suite.session(ann);
    expect((await suite.store.listSessions(ann, LONG_AGO)).find((session) => session.id === sixth)?.deviceNumber).toBe(1);
    expect((await suite.store.listSessions(ben, LONG_AGO)).map((session) => session.deviceNumber)).toEqual([1]);
    const use = await suite.store.useSession({
      tokenHash: `hash-${third}`,
      now: NOW,
      expiredBefore: LONG_AGO,
      touchBefore: LONG_AGO,
    });
    expect(use).toMatchObject({ sessionId: third, deviceNumber: 3 });
  });

  it('takes a device’s first publish only with its signed prekey and Kyber last-resort prekey, and counts what it stored', async () => {
    const ann = await suite.person();
    const laptop = await suite.session(ann);
    expect(await suite.store.keyDirectory.countPrekeys(laptop)).toBeNull();
    const keys = firstPublish(ecKey(), { ecCount: 7, kyberCount: 5 });
    const { signedPrekey: _signed, ...unsigned } = keys;
    expect(await publish(ann, laptop, unsigned)).toEqual({ status: 'refused', reason: 'keys_incomplete' });
    const { kyberLastResortPrekey: _lastResort, ...noLastResort } = keys;
    expect(await publish(ann, laptop, noLastResort)).toEqual({ status: 'refused', reason: 'keys_incomplete' });
    expect(await fetch(ann)).toBeNull();
    expect(await publish(ann, laptop, keys)).toEqual({
      status: 'stored',
      counts: { ecPrekeys: 7, kyberPrekeys: 5 },
      identityChanged: false,
    });
    expect(await suite.store.keyDirectory.countPrekeys(laptop)).toEqual({ ecPrekeys: 7, kyberPrekeys: 5 });
    // A refill needs neither again.
    const refill = {
      type: 'publish_keys' as const,
      identityKey: keys.identityKey,
      registrationId: 1234,
      ecPrekeys: ecPrekeys(8, 3),
    };
    expect(await publish(ann, laptop, refill)).toMatchObject({ status: 'stored', counts: { ecPrekeys: 10, kyberPrekeys: 5 } });
  });

  it('keeps the identity key first published, and replaces it only when a publish says so, noting when', async () => {
    const ann = await suite.person();
    const [laptop, phone] = [await suite.session(ann), await suite.session(ann)];
    const identity = ecKey();
    await publish(ann, laptop, firstPublish(identity));
    const other = firstPublish(ecKey());
    expect(await publish(ann, phone, other)).toEqual({ status: 'refused', reason: 'identity_key_mismatch' });
    expect(await suite.store.keyDirectory.countPrekeys(phone)).toBeNull();
    expect((await fetch(ann))!.identityKey).toBe(identity);
    expect(await suite.database.query(`SELECT identity_changed_at FROM identity_keys WHERE user_id = '${ann}'`)).toEqual([
      { identity_changed_at: null },
    ]);
    expect(await publish(ann, phone, { ...other, replaceIdentity: true }, { now: NOW + 5 })).toMatchObject({
      status: 'stored',
      identityChanged: true,
    });
    expect((await fetch(ann))!.identityKey).toBe(other.identityKey);
    const [changed] = await suite.database.query<{ identity_changed_at: number | string }>(
      `SELECT identity_changed_at FROM identity_keys WHERE user_id = '${ann}'`,
    );
    expect(Number(changed!.identity_changed_at)).toBe(NOW + 5);
    // Saying so with the same key changes nothing.
    expect(await publish(ann, laptop, { ...firstPublish(other.identityKey), replaceIdentity: true })).toMatchObject({
      status: 'stored',
      identityChanged: false,
    });
  });

  it('reads a person’s identity key without using up any prekey: none before a publish, the replacement after one', async () => {
    const ann = await suite.person();
    const laptop = await suite.session(ann);
    expect(await suite.store.keyDirectory.identityKey(ann)).toBeNull();
    expect(await suite.store.keyDirectory.identityKey('nobody')).toBeNull();
    const first = firstPublish(ecKey());
    await publish(ann, laptop, first);
    expect(await suite.store.keyDirectory.identityKey(ann)).toBe(first.identityKey);
    expect(await suite.store.keyDirectory.countPrekeys(laptop)).toEqual({
      ecPrekeys: first.ecPrekeys!.length,
      kyberPrekeys: first.kyberPrekeys!.length,
    });
    const next = ecKey();
    await publish(ann, laptop, { ...firstPublish(next), replaceIdentity: true });
    expect(await suite.store.keyDirectory.identityKey(ann)).toBe(next);
    // The identity outlives the person's devices.
    await suite.store.endSessions({ userId: ann, except: 'nobody' });
    expect(await suite.store.keyDirectory.identityKey(ann)).toBe(next);
  });

  it('skips one-time prekeys whose ids are not above the device’s highest: a publish sent again stores nothing twice', async () => {
    const ann = await suite.person();
    const laptop = await suite.session(ann);
    const keys = firstPublish(ecKey(), { ecCount: 5, kyberCount: 3 });
    await publish(ann, laptop, keys);
    expect(await publish(ann, laptop, keys)).toMatchObject({ status: 'stored', counts: { ecPrekeys: 5, kyberPrekeys: 3 } });
    // A key handed out does not come back when the same ids are published again.
    await fetch(ann);
    expect(await publish(ann, laptop, keys)).toMatchObject({ counts: { ecPrekeys: 4, kyberPrekeys: 2 } });
    // Ids 4..8: 4 and 5 were published before, 6..8 are new.
    const overlapping = { ...keys, ecPrekeys: ecPrekeys(4, 5), kyberPrekeys: kyberPrekeys(4, 3) };
    expect(await publish(ann, laptop, overlapping)).toMatchObject({ counts: { ecPrekeys: 7, kyberPrekeys: 4 } });
  });

  it('refuses a publish that would store more one-time prekeys of a kind than the cap, storing nothing of it', async () => {
    const ann = await suite.person();
    const laptop = await suite.session(ann);
    const identity = ecKey();
    await publish(ann, laptop, firstPublish(identity, { ecCount: 100, kyberCount: 20 }));
    await publish(ann, laptop, {
      type: 'publish_keys',
      identityKey: identity,
      registrationId: 1234,
      ecPrekeys: ecPrekeys(101, 100),
    });
    const over = {
      type: 'publish_keys' as const,
      identityKey: identity,
      registrationId: 4321,
      signedPrekey: signedPrekey(2),
      ecPrekeys: ecPrekeys(201, 1),
      kyberPrekeys: kyberPrekeys(30, 1),
    };
    expect(await publish(ann, laptop, over)).toEqual({ status: 'refused', reason: 'too_many_prekeys' });
    expect(await suite.store.keyDirectory.countPrekeys(laptop)).toEqual({ ecPrekeys: 200, kyberPrekeys: 20 });
    const [bundle] = (await fetch(ann))!.bundles;
    expect(bundle).toMatchObject({ registrationId: 1234, signedPrekey: { keyId: 1 } });
  });

  it('hands out one bundle per other device, in device order, each using up its lowest one-time prekey of each kind', async () => {
    const ann = await suite.person();
    const ben = await suite.person();
    const [laptop, phone, tablet] = [await suite.session(ann), await suite.session(ann), await suite.session(ann)];
    const identity = ecKey();
    const laptopKeys = firstPublish(identity, { registrationId: 11, ecCount: 2, kyberCount: 1 });
    const phoneKeys = firstPublish(identity, { registrationId: 22, ecCount: 12, kyberCount: 12 });
    await publish(ann, laptop, laptopKeys);
    await publish(ann, phone, phoneKeys);
    // The tablet never published: it has no bundle.
    const fetched = (await fetch(ann))!;
    expect(fetched.identityKey).toBe(identity);
    expect(fetched.bundles).toEqual([
      {
        deviceNumber: 1,
        registrationId: 11,
        signedPrekey: laptopKeys.signedPrekey,
        ecPrekey: laptopKeys.ecPrekeys![0],
        kyberPrekey: { ...laptopKeys.kyberPrekeys![0], lastResort: false },
      },
      {
        deviceNumber: 2,
        registrationId: 22,
        signedPrekey: phoneKeys.signedPrekey,
        ecPrekey: phoneKeys.ecPrekeys![0],
        kyberPrekey: { ...phoneKeys.kyberPrekeys![0], lastResort: false },
      },
    ]);
    expect(fetched.left).toEqual([
      { deviceNumber: 1, ecPrekeys: 1, kyberPrekeys: 0 },
      { deviceNumber: 2, ecPrekeys: 11, kyberPrekeys: 11 },
    ]);
    // The laptop's Kyber one-time keys are gone: its last-resort key stands in; then its EC keys run out.
    const second = (await fetch(ann))!.bundles[0]!;
    expect(second.ecPrekey).toEqual(laptopKeys.ecPrekeys![1]);
    expect(second.kyberPrekey).toEqual({ ...laptopKeys.kyberLastResortPrekey, lastResort: true });
    const third = (await fetch(ann))!.bundles[0]!;
    expect(third.ecPrekey).toBeUndefined();
    expect(third.kyberPrekey.lastResort).toBe(true);
    // Asked from the phone, the phone's own bundle is left out.
    expect((await fetch(ann, phone))!.bundles.map((bundle) => bundle.deviceNumber)).toEqual([1]);
    // Nobody by that id, or nobody with keys.
    expect(await fetch(ben)).toBeNull();
    expect(await fetch('nobody-at-all')).toBeNull();
    expect(await suite.store.keyDirectory.countPrekeys(tablet)).toBeNull();
  });

  it('never hands out one one-time prekey twice, however many fetches run at once', async () => {
    const ann = await suite.person();
    const [laptop, phone] = [await suite.session(ann), await suite.session(ann)];
    const identity = ecKey();
    await publish(ann, laptop, firstPublish(identity, { ecCount: 15, kyberCount: 10 }));
    await publish(ann, phone, firstPublish(identity, { ecCount: 15, kyberCount: 10 }));
    const results = await Promise.all(Array.from({ length: 24 }, () => fetch(ann)));
    for (const deviceNumber of [1, 2]) {
      const bundles = results.map((result) => result!.bundles.find((bundle) => bundle.deviceNumber === deviceNumber)!);
      const ecIds = bundles.flatMap((bundle) => (bundle.ecPrekey ? [bundle.ecPrekey.keyId] : []));
      const kyberIds = bundles.filter((bundle) => !bundle.kyberPrekey.lastResort).map((bundle) => bundle.kyberPrekey.keyId);
      expect([...ecIds].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect([...kyberIds].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    }
    expect(await suite.store.keyDirectory.countPrekeys(laptop)).toEqual({ ecPrekeys: 0, kyberPrekeys: 0 });
  });

  it('deletes a device’s keys with its session, whether signed out, ended from elsewhere, expired or ended by a password change', async () => {
    const ann = await suite.person();
    const identity = ecKey();
    const [laptop, phone, tablet, watch] = [
      await suite.session(ann),
      await suite.session(ann),
      await suite.session(ann),
      await suite.session(ann, NOW - 100),
    ];
    for (const session of [laptop, phone, tablet, watch]) await publish(ann, session, firstPublish(identity));
    const rows = async () =>
      (
        await suite.database.query<{ devices: number | string; prekeys: number | string }>(
          `SELECT (SELECT count(*) FROM device_keys) AS devices, (SELECT count(*) FROM one_time_prekeys) AS prekeys`,
        )
      ).map((row) => ({ devices: Number(row.devices), prekeys: Number(row.prekeys) }))[0];
    expect(await rows()).toEqual({ devices: 4, prekeys: 80 });
    // The watch was last used before the cut: expired, it is no longer fetched, and its next use deletes it.
    expect((await fetch(ann, 'nobody', NOW - 50))!.bundles.map((bundle) => bundle.deviceNumber)).toEqual([1, 2, 3]);
    expect(
      await suite.store.useSession({ tokenHash: `hash-${watch}`, now: NOW, expiredBefore: NOW - 50, touchBefore: NOW }),
    ).toBeNull();
    // That fetch used up one key of each kind on each of the three.
    expect(await rows()).toEqual({ devices: 3, prekeys: 54 });
    await suite.store.endSessions({ userId: ann, ids: [tablet] });
    expect(await suite.store.keyDirectory.countPrekeys(tablet)).toBeNull();
    expect(await rows()).toEqual({ devices: 2, prekeys: 36 });
    await suite.store.changePassword({ userId: ann, passwordHash: 'y', keepSessionId: laptop });
    expect(await rows()).toEqual({ devices: 1, prekeys: 18 });
    expect((await fetch(ann))!.bundles.map((bundle) => bundle.deviceNumber)).toEqual([1]);
    await suite.store.endSessions({ userId: ann, except: 'nobody' });
    expect(await rows()).toEqual({ devices: 0, prekeys: 0 });
    // The person's identity outlives their devices: a new device publishes the same one.
    expect(await fetch(ann)).toBeNull();
    const next = await suite.session(ann);
    expect(await publish(ann, next, firstPublish(identity))).toMatchObject({ status: 'stored' });
  });
});
