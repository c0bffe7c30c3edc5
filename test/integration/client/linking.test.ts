/**
 * Linking a device (crypto/device-linking.ts, link-frames.ts) between real client cores over a real
 * server: a device signed in with the password alone waits with a link code, the device that has
 * the identity hands it over, and the new device then holds the same identity and publishes its
 * keys. What a stranger or a stale code can do is refused or goes nowhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import type { LinkState } from '../../../sync/app-api/linking-api.js';
import { AccountKeysFile } from '../../../sync/client/crypto/account-keys-file.js';
import { formatLinkCode, parseLinkCode } from '../../../sync/client/crypto/link-code.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function keysOnDisk(core: TestCore, userId: string) {
  return new AccountKeysFile(core.profileDir, null, realRuntime().random, await loadSignal()).read(userId);
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error: unknown = await call.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(AppApiError);
  return { code: (error as AppApiError).code, message: (error as AppApiError).message };
}

/** Signed up on one device, whose identity the server has (published) before anything else happens. */
async function accountOnOneDevice(server: TestServer, username: string) {
  const first = await clients.open(await clients.profileDir(), server.url);
  const session = await first.createAccount({
    serverUrl: server.url,
    username,
    displayName: username,
    password: DEFAULT_TEST_PASSWORD,
  });
  const socket = await servers.connect(server, (await servers.createAccount(server)).token);
  await eventually(
    () => socket.request({ type: 'fetch_identity', userId: session.user.id }),
    (reply) => reply.type === 'identity' && reply.identityKey !== null,
    'the first device to publish the identity',
  );
  return { first, userId: session.user.id };
}

async function signedInElsewhere(server: TestServer, username: string): Promise<TestCore> {
  const device = await clients.open(await clients.profileDir(), server.url);
  await device.logIn({ serverUrl: server.url, username, password: DEFAULT_TEST_PASSWORD });
  return device;
}

async function waitingCode(device: TestCore): Promise<string> {
  const state = await eventually(
    () => device.getLinkState(),
    (current: LinkState) => current.kind === 'waiting' && current.code !== null,
    'a link code',
  );
  return (state as { code: string }).code;
}

describe('linking a device', () => {
  it('hands the identity to a device signed in with the password, which then publishes its keys', async () => {
    const server = await servers.startServer();
    const { first, userId } = await accountOnOneDevice(server, 'alice');
    expect(await first.getLinkState()).toEqual({ kind: 'linked' });
    await first.confirmRecoveryKeySaved();
    const laptop = await signedInElsewhere(server, 'alice');
    const code = await waitingCode(laptop);
    expect(await keysOnDisk(laptop, userId)).toBeNull();

    const laptopSession = (await first.listSessions()).find((session) => !session.current)!;
    expect(await first.describeLinkCode({ code: ` ${code.slice(0, 20)}\n${code.slice(20)} ` })).toEqual({
      deviceName: laptopSession.deviceName,
    });
    await first.linkDevice({ code });

    await eventually(
      () => laptop.getLinkState(),
      (state) => state.kind === 'linked',
      'the laptop to be linked',
    );
    expect(laptop.events).toContainEqual({ type: 'account_keys' });
    const handedOver = await keysOnDisk(laptop, userId);
    const original = await keysOnDisk(first, userId);
    // The same identity and recovery key; the password's verifier is the laptop's own, made as it signed in.
    expect(handedOver).toEqual({
      ...original,
      passwordVerifier: expect.any(Object) as object,
      createdAt: expect.any(Number) as number,
    });
    expect(await laptop.revealRecoveryKey({ password: DEFAULT_TEST_PASSWORD })).toEqual({
      kind: 'key',
      recoveryKey: original!.recoveryKey,
    });
    // Saved on the first device, so not asked for again here.
    expect(await laptop.getUnsavedRecoveryKey()).toBeNull();

    // Linked, the laptop publishes its keys under the same identity: someone fetching Alice's bundles gets both devices.
    const stranger = await servers.connect(server, (await servers.createAccount(server)).token);
    const bundles = await eventually(
      () => stranger.request({ type: 'fetch_key_bundles', userId }),
      (reply) => reply.type === 'key_bundles' && reply.bundles.length === 2,
      'both devices’ bundles',
    );
    const identity = await stranger.request({ type: 'fetch_identity', userId });
    expect(bundles.type === 'key_bundles' && bundles.identityKey).toBe(identity.type === 'identity' && identity.identityKey);
    // A linked device's code is of no more use.
    expect(await refusal(first.describeLinkCode({ code }))).toEqual({ code: 'refused', message: 'device_already_linked' });
    expect(await refusal(first.linkDevice({ code }))).toEqual({ code: 'refused', message: 'device_already_linked' });
  });

  it('refuses a code that is not one, and one naming no device of the account', async () => {
    const server = await servers.startServer();
    const { first } = await accountOnOneDevice(server, 'bob');
    expect((await refusal(first.describeLinkCode({ code: 'hello' }))).code).toBe('invalid_argument');
    expect((await refusal(first.linkDevice({ code: `1-${'A'.repeat(43)}` }))).code).toBe('invalid_argument');
    const signal = await loadSignal();
    const nobody = formatLinkCode(9, signal.PrivateKey.generate().getPublicKey().serialize());
    expect(await refusal(first.describeLinkCode({ code: nobody }))).toEqual({ code: 'refused', message: 'no_such_device' });
    expect(await refusal(first.linkDevice({ code: nobody }))).toEqual({ code: 'refused', message: 'no_such_device' });
  });

  it('cannot be done to or by another account: a stranger’s device never gets the identity', async () => {
    const server = await servers.startServer();
    const { first: carol } = await accountOnOneDevice(server, 'carol');
    const { userId: daveId } = await accountOnOneDevice(server, 'dave');
    const davesLaptop = await signedInElsewhere(server, 'dave');
    const code = await waitingCode(davesLaptop);
    // Carol's account has no device of that number (her only one is number 1): nothing goes to Dave's laptop.
    expect(parseLinkCode(code)!.deviceNumber).toBe(2);
    expect(await refusal(carol.linkDevice({ code }))).toEqual({ code: 'refused', message: 'no_such_device' });
    expect(await davesLaptop.getLinkState()).toEqual({ kind: 'waiting', code });
    expect(await keysOnDisk(davesLaptop, daveId)).toBeNull();
  });

  it('drops a hand-over sealed to a code shown before a restart, and links with the new code', async () => {
    const server = await servers.startServer();
    const { first, userId } = await accountOnOneDevice(server, 'erin');
    let laptop = await signedInElsewhere(server, 'erin');
    const staleCode = await waitingCode(laptop);
    await laptop.close();
    // The laptop is closed: the hand-over waits in its inbox, sealed to a key it no longer holds.
    await first.linkDevice({ code: staleCode });
    laptop = await clients.open(laptop.profileDir, server.url);
    const freshCode = await waitingCode(laptop);
    expect(parseLinkCode(freshCode)!.deviceNumber).toBe(parseLinkCode(staleCode)!.deviceNumber);
    expect(freshCode).not.toBe(staleCode);
    expect(await keysOnDisk(laptop, userId)).toBeNull();

    await first.linkDevice({ code: freshCode });
    await eventually(
      () => laptop.getLinkState(),
      (state) => state.kind === 'linked',
      'the laptop to be linked',
    );
  });

  it('makes the identity on a device signed in to an account that has none anywhere', async () => {
    const server = await servers.startServer();
    // Signed up without the app (as before end-to-end encryption), and still signed in there.
    const account = await servers.createAccount(server, { username: 'frank', password: DEFAULT_TEST_PASSWORD });
    const device = await signedInElsewhere(server, 'frank');
    await eventually(
      () => device.getLinkState(),
      (state) => state.kind === 'linked',
      'an identity made here',
    );
    expect(await keysOnDisk(device, account.user.id)).toMatchObject({ userId: account.user.id, recoveryKeySaved: false });
    expect(await device.getUnsavedRecoveryKey()).toMatch(/^[a-z0-9]{64}$/);
  });

  it('starts a new identity in place of the account’s when there is nothing to link from, given the password of this run', async () => {
    const server = await servers.startServer();
    const { first, userId } = await accountOnOneDevice(server, 'gina');
    const original = await keysOnDisk(first, userId);

    // Restarted since logging in: the password's check is gone, so it asks for a new log-in first.
    let laptop = await signedInElsewhere(server, 'gina');
    await waitingCode(laptop);
    await laptop.close();
    laptop = await clients.open(laptop.profileDir, server.url);
    await waitingCode(laptop);
    expect(await laptop.startNewIdentity()).toBe('password_needed');
    expect(await keysOnDisk(laptop, userId)).toBeNull();

    const tablet = await signedInElsewhere(server, 'gina');
    await waitingCode(tablet);
    expect(await tablet.startNewIdentity()).toBe('made');
    await eventually(
      () => tablet.getLinkState(),
      (state) => state.kind === 'linked',
      'the tablet to have keys',
    );
    const made = await keysOnDisk(tablet, userId);
    expect(made!.identityKeyPair).not.toBe(original!.identityKeyPair);
    // A new recovery key, to be saved.
    expect(await tablet.getUnsavedRecoveryKey()).toBe(made!.recoveryKey);
    expect(made!.recoveryKey).not.toBe(original!.recoveryKey);
    // Published, it is the account's identity now.
    const signal = await loadSignal();
    const newKey = Buffer.from(
      signal.IdentityKeyPair.deserialize(Buffer.from(made!.identityKeyPair, 'base64')).publicKey.serialize(),
    ).toString('base64');
    const stranger = await servers.connect(server, (await servers.createAccount(server)).token);
    await eventually(
      () => stranger.request({ type: 'fetch_identity', userId }),
      (reply) => reply.type === 'identity' && reply.identityKey === newKey,
      'the new identity published',
    );
    // Only a device waiting to be linked may do it.
    expect((await refusal(tablet.startNewIdentity())).code).toBe('conflict');
  });
});
