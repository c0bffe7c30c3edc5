/**
 * The key directory over the sync socket (key-frames.ts, handlers/keys.ts): each device learns its
 * number in the welcome, publishes its keys, and counts what it has left; others fetch its bundles
 * (rate-limited, the same answer whoever asks), and a device left low is told to refill, at once
 * when it is connected, else when it next connects. Signing out takes a device's keys with it.
 */
import { afterEach, expect, it } from 'vitest';
import { CURRENT_SESSION_PATH } from '../../../sync/protocol/frames.js';
import { KEY_LIMITS } from '../../../sync/protocol/key-frames.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { ecKey, ecPrekeys, firstPublish, kyberPrekeys } from '../../support/key-material.js';
import { createServerHarness, people, type TestAccount, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import { FRAME_THROTTLE } from '../../../sync/server/frame-throttle.js';

function deviceNumberOf(client: TestClient): number | undefined {
  const welcome = client.pushes.find((push) => push.type === 'welcome');
  return welcome?.type === 'welcome' ? welcome.deviceNumber : undefined;
}

describeEachStore('the key directory', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('tells each device its number in the welcome: from 1 per person, a new sign-in the next one, a reconnect the same', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    expect(deviceNumberOf(alice.socket)).toBe(1);
    expect(deviceNumberOf(bob.socket)).toBe(1);
    const laptop = await h.createAccount(server, { username: 'carol' });
    const phone = await signIn(server.httpUrl, laptop);
    expect(deviceNumberOf(await h.connect(server, laptop.token))).toBe(1);
    expect(deviceNumberOf(await h.connect(server, phone))).toBe(2);
    expect(deviceNumberOf(await h.connect(server, phone))).toBe(2);
  });

  it('publishes a device’s keys and counts them; refuses an incomplete first publish and another identity key', async () => {
    const server = await h.startServer();
    const { alice } = await people(h, server, 'alice');
    expect(await alice.socket.call({ type: 'count_keys' }, 'key_counts')).toMatchObject({
      published: false,
      ecPrekeys: 0,
      kyberPrekeys: 0,
    });
    const identity = ecKey();
    const { signedPrekey: _signed, ...unsigned } = firstPublish(identity);
    expect(await alice.socket.request(unsigned)).toMatchObject({ type: 'error', ...REFUSALS.keys_incomplete });
    expect(await alice.socket.call(firstPublish(identity, { ecCount: 100, kyberCount: 20 }), 'key_counts')).toMatchObject({
      published: true,
      ecPrekeys: 100,
      kyberPrekeys: 20,
    });
    expect(await alice.socket.request(firstPublish(ecKey()))).toMatchObject({ type: 'error', ...REFUSALS.identity_key_mismatch });
    const refill = { type: 'publish_keys' as const, identityKey: identity, registrationId: 1234 };
    expect(await alice.socket.call({ ...refill, kyberPrekeys: kyberPrekeys(22, 20) }, 'key_counts')).toMatchObject({
      kyberPrekeys: 40,
    });
    await alice.socket.call({ ...refill, ecPrekeys: ecPrekeys(101, 100) }, 'key_counts');
    expect(await alice.socket.request({ ...refill, ecPrekeys: ecPrekeys(201, 1) })).toMatchObject({
      type: 'error',
      ...REFUSALS.too_many_prekeys,
    });
    expect(await alice.socket.call({ type: 'count_keys' }, 'key_counts')).toMatchObject({ ecPrekeys: 200, kyberPrekeys: 40 });
    // More keys in one frame than a publish may carry is a malformed frame.
    expect(
      await alice.socket.request({ ...refill, ecPrekeys: ecPrekeys(300, KEY_LIMITS.maxEcPrekeysPerPublish + 1) }),
    ).toMatchObject({ type: 'error', code: 'bad_frame' });
  });

  it('hands anyone signed in the bundles of every device of a person, blocked or not; the device left low hears it at once', async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    const identity = ecKey();
    const keys = firstPublish(identity, { registrationId: 77, ecCount: KEY_LIMITS.prekeysLowWater + 1, kyberCount: 15 });
    await alice.socket.call(keys, 'key_counts');
    // Alice blocks Mallory: he is answered as anyone is.
    await alice.socket.call(
      {
        type: 'set_settings',
        settings: [{ setting: { kind: 'blocked', userId: mallory.user.id, value: true }, at: 1, by: 'd' }],
      },
      'settings',
    );
    const toBob = await bob.socket.call({ type: 'fetch_key_bundles', userId: alice.user.id }, 'key_bundles');
    expect(toBob).toMatchObject({
      userId: alice.user.id,
      identityKey: identity,
      bundles: [
        {
          deviceNumber: 1,
          registrationId: 77,
          signedPrekey: keys.signedPrekey,
          ecPrekey: keys.ecPrekeys![0],
          kyberPrekey: { ...keys.kyberPrekeys![0], lastResort: false },
        },
      ],
    });
    expect(alice.socket.pushes.filter((push) => push.type === 'prekeys_low')).toEqual([]);
    const toMallory = await mallory.socket.call({ type: 'fetch_key_bundles', userId: alice.user.id }, 'key_bundles');
    expect(toMallory.bundles[0]!.ecPrekey).toEqual(keys.ecPrekeys![1]);
    expect(await alice.socket.waitForPush('prekeys_low')).toEqual({
      type: 'prekeys_low',
      deviceNumber: 1,
      ecPrekeys: KEY_LIMITS.prekeysLowWater - 1,
      kyberPrekeys: 13,
    });
    // Nobody by that id and nobody with keys look alike.
    for (const userId of ['nobody', bob.user.id]) {
      expect(await alice.socket.request({ type: 'fetch_key_bundles', userId })).toMatchObject({
        type: 'error',
        ...REFUSALS.no_keys,
      });
    }
  });

  it('tells a device that ran low while it was away when it connects again, and one with keys enough nothing', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    await alice.socket.call(firstPublish(ecKey(), { ecCount: KEY_LIMITS.prekeysLowWater, kyberCount: 20 }), 'key_counts');
    await bob.socket.call(firstPublish(ecKey(), { ecCount: 20, kyberCount: 20 }), 'key_counts');
    await alice.socket.close();
    await bob.socket.call({ type: 'fetch_key_bundles', userId: alice.user.id }, 'key_bundles');
    const again = await h.connect(server, alice.account.token);
    expect(await again.waitForPush('prekeys_low')).toEqual({
      type: 'prekeys_low',
      deviceNumber: 1,
      ecPrekeys: KEY_LIMITS.prekeysLowWater - 1,
      kyberPrekeys: 19,
    });
    const bobAgain = await h.connect(server, bob.account.token);
    await bobAgain.call({ type: 'ping' }, 'ok');
    expect(bobAgain.pushes.filter((push) => push.type === 'prekeys_low')).toEqual([]);
  });

  it('limits how often one person fetches another’s bundles, and how many they fetch in all', async () => {
    const server = await h.startServer({
      frameThrottle: { ...FRAME_THROTTLE, lookupsPerWindow: 1_000_000, keyFetchesPerPersonPerWindow: 2, keyFetchesPerWindow: 3 },
    });
    const { alice, bob, carol, mallory } = await people(h, server, 'alice', 'bob', 'carol', 'mallory');
    for (const person of [alice, bob, carol]) await person.socket.call(firstPublish(ecKey()), 'key_counts');
    const fetch = (userId: string) => mallory.socket.request({ type: 'fetch_key_bundles', userId });
    expect(await fetch(alice.user.id)).toMatchObject({ type: 'key_bundles' });
    expect(await fetch(alice.user.id)).toMatchObject({ type: 'key_bundles' });
    const refused = await fetch(alice.user.id);
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(refused.type === 'error' && refused.retryAfterMs).toBeGreaterThan(0);
    expect(await fetch(bob.user.id)).toMatchObject({ type: 'key_bundles' });
    expect(await fetch(carol.user.id)).toMatchObject({ type: 'error', code: 'rate_limited' });
    // Refused fetches used up nothing: Alice still has all but two of her keys.
    expect(await alice.socket.call({ type: 'count_keys' }, 'key_counts')).toMatchObject({ ecPrekeys: 8, kyberPrekeys: 8 });
    // Someone else has a budget of their own.
    expect(await bob.socket.request({ type: 'fetch_key_bundles', userId: carol.user.id })).toMatchObject({ type: 'key_bundles' });
  });

  it('tells anyone signed in a person’s identity key, blocked or not, using up no prekey; null for no keys and for nobody', async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    const identity = ecKey();
    await alice.socket.call(firstPublish(identity, { ecCount: 10, kyberCount: 10 }), 'key_counts');
    await alice.socket.call(
      {
        type: 'set_settings',
        settings: [{ setting: { kind: 'blocked', userId: mallory.user.id, value: true }, at: 1, by: 'd' }],
      },
      'settings',
    );
    for (const asker of [bob, mallory, alice]) {
      expect(await asker.socket.call({ type: 'fetch_identity', userId: alice.user.id }, 'identity')).toMatchObject({
        userId: alice.user.id,
        identityKey: identity,
      });
    }
    expect(await alice.socket.call({ type: 'count_keys' }, 'key_counts')).toMatchObject({ ecPrekeys: 10, kyberPrekeys: 10 });
    for (const userId of ['nobody', bob.user.id]) {
      expect(await alice.socket.call({ type: 'fetch_identity', userId }, 'identity')).toMatchObject({
        userId,
        identityKey: null,
      });
    }
    const next = ecKey();
    await alice.socket.call({ ...firstPublish(next), replaceIdentity: true }, 'key_counts');
    expect(await bob.socket.call({ type: 'fetch_identity', userId: alice.user.id }, 'identity')).toMatchObject({
      identityKey: next,
    });
  });

  it('counts identity fetches against the asker’s key fetch budget, however many people they ask about', async () => {
    const server = await h.startServer({
      frameThrottle: { ...FRAME_THROTTLE, lookupsPerWindow: 1_000_000, keyFetchesPerPersonPerWindow: 1, keyFetchesPerWindow: 3 },
    });
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    await alice.socket.call(firstPublish(ecKey()), 'key_counts');
    const fetch = (userId: string) => mallory.socket.request({ type: 'fetch_identity', userId });
    // More than the per-person share of bundle fetches: asking about a key uses up nothing of Alice's.
    expect(await fetch(alice.user.id)).toMatchObject({ type: 'identity' });
    expect(await fetch(alice.user.id)).toMatchObject({ type: 'identity' });
    expect(await fetch(bob.user.id)).toMatchObject({ type: 'identity' });
    const refused = await fetch(bob.user.id);
    expect(refused).toMatchObject({ type: 'error', code: 'rate_limited' });
    expect(refused.type === 'error' && refused.retryAfterMs).toBeGreaterThan(0);
    expect(await mallory.socket.request({ type: 'fetch_key_bundles', userId: alice.user.id })).toMatchObject({
      type: 'error',
      code: 'rate_limited',
    });
    expect(await bob.socket.request({ type: 'fetch_identity', userId: alice.user.id })).toMatchObject({ type: 'identity' });
  });

  it('deletes a device’s keys when it signs out: its bundle is no longer handed out', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const phoneToken = await signIn(server.httpUrl, alice.account);
    const phone = await h.connect(server, phoneToken);
    const identity = ecKey();
    await alice.socket.call(firstPublish(identity), 'key_counts');
    await phone.call(firstPublish(identity), 'key_counts');
    const both = await bob.socket.call({ type: 'fetch_key_bundles', userId: alice.user.id }, 'key_bundles');
    expect(both.bundles.map((bundle) => bundle.deviceNumber)).toEqual([1, 2]);
    // Alice's laptop asks: its own bundle is left out.
    const fromLaptop = await alice.socket.call({ type: 'fetch_key_bundles', userId: alice.user.id }, 'key_bundles');
    expect(fromLaptop.bundles.map((bundle) => bundle.deviceNumber)).toEqual([2]);
    const signOut = await fetch(`${server.httpUrl}${CURRENT_SESSION_PATH}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${phoneToken}` },
    });
    expect(signOut.status).toBe(204);
    const left = await bob.socket.call({ type: 'fetch_key_bundles', userId: alice.user.id }, 'key_bundles');
    expect(left.bundles.map((bundle) => bundle.deviceNumber)).toEqual([1]);
  });
});

/** Another session of `account`'s: another device. */
async function signIn(httpUrl: string, account: TestAccount): Promise<string> {
  const response = await fetch(`${httpUrl}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: account.user.username, password: account.password }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}
