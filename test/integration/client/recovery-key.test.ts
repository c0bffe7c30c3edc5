import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { AccountKeysFile } from '../../../sync/client/crypto/account-keys-file.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';
import { createClientHarness, type TestCore } from '../../support/client-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const OTHER_PASSWORD = 'another long password';

async function signUp(username: string) {
  const server = await servers.startServer();
  const profile = await clients.profileDir();
  const core = await clients.open(profile, server.url);
  const session = await core.createAccount({
    serverUrl: server.url,
    username,
    displayName: username,
    password: DEFAULT_TEST_PASSWORD,
  });
  return { server, profile, core, userId: session.user.id };
}

async function refusal(call: Promise<unknown>): Promise<string> {
  const error: unknown = await call.then(
    () => null,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(AppApiError);
  return (error as AppApiError).code;
}

async function keysOnDisk(profile: string, userId: string) {
  return new AccountKeysFile(profile, null, realRuntime().random, await loadSignal()).read(userId);
}

describe('the recovery key', () => {
  it('is made at sign-up and offered at every start until the person says they saved it', async () => {
    const { server, profile, core, userId } = await signUp('alice');
    const recoveryKey = await core.getUnsavedRecoveryKey();
    expect(recoveryKey).toMatch(/^[a-z0-9]{64}$/);
    const keys = await keysOnDisk(profile, userId);
    expect(keys).toMatchObject({ userId, recoveryKey, recoveryKeySaved: false });

    await core.close();
    let again: TestCore = await clients.open(profile, server.url);
    expect(await again.getUnsavedRecoveryKey()).toBe(recoveryKey);

    await again.confirmRecoveryKeySaved();
    expect(await again.getUnsavedRecoveryKey()).toBeNull();
    await again.close();
    again = await clients.open(profile, server.url);
    expect(await again.getUnsavedRecoveryKey()).toBeNull();
    // Saved, not forgotten: the same identity and key, now marked saved.
    expect(await keysOnDisk(profile, userId)).toEqual({ ...keys, recoveryKeySaved: true });
  });

  it('is shown again given the right password, and refused with a wrong one', async () => {
    const { core } = await signUp('bob');
    const recoveryKey = await core.getUnsavedRecoveryKey();
    expect(await refusal(core.revealRecoveryKey({ password: 'not the password' }))).toBe('unauthorized');
    expect(await core.revealRecoveryKey({ password: DEFAULT_TEST_PASSWORD })).toEqual({ kind: 'key', recoveryKey });
  });

  it('follows a password changed on this device', async () => {
    const { core } = await signUp('carol');
    await core.changePassword({ currentPassword: DEFAULT_TEST_PASSWORD, newPassword: OTHER_PASSWORD });
    expect(await refusal(core.revealRecoveryKey({ password: DEFAULT_TEST_PASSWORD }))).toBe('unauthorized');
    expect(await core.revealRecoveryKey({ password: OTHER_PASSWORD })).toMatchObject({ kind: 'key' });
  });

  it('is not on a device that signed in to an account made elsewhere', async () => {
    const { server } = await signUp('dave');
    const profile = await clients.profileDir();
    const other = await clients.open(profile, server.url);
    const session = await other.logIn({ serverUrl: server.url, username: 'dave', password: DEFAULT_TEST_PASSWORD });
    expect(await other.getUnsavedRecoveryKey()).toBeNull();
    expect(await other.revealRecoveryKey({ password: DEFAULT_TEST_PASSWORD })).toEqual({ kind: 'none' });
    expect(
      existsSync(new AccountKeysFile(profile, null, realRuntime().random, await loadSignal()).pathFor(session.user.id)),
    ).toBe(false);
  });

  it('needs a signed-in account', async () => {
    const server = await servers.startServer();
    const core = await clients.open(await clients.profileDir(), server.url);
    expect(await refusal(core.getUnsavedRecoveryKey())).toBe('not_signed_in');
    expect(await refusal(core.revealRecoveryKey({ password: DEFAULT_TEST_PASSWORD }))).toBe('not_signed_in');
  });
});
