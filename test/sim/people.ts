import { UNCAPPED } from '../../sync/server/store/cap-rules.js';
import { directConversationId } from '../../sync/common/conversation-ids.js';
import { ACCOUNT_CAPS, LIMITS } from '../../sync/protocol/limits.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import type { ConversationKind } from '../../sync/protocol/frames.js';
import { MIRROR_FILE } from '../../sync/client/client-core.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { hashSessionToken } from '../../sync/server/session-tokens.js';
import { AccountKeysFile, accountKeysDir } from '../../sync/client/crypto/account-keys-file.js';
import { newAccountKeys, type AccountKeys } from '../../sync/client/crypto/account-keys.js';
import { newPasswordVerifier } from '../../sync/client/crypto/password-verifier.js';
import { loadSignal } from '../../sync/client/crypto/signal-library.js';
import { SettingsSeal } from '../../sync/client/crypto/sealed-settings.js';
import { ensurePrivateDir } from '../../sync/node/private-files.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';
import type { MirrorInspector } from './mirror-inspector.js';
import type { SeededRandom } from './random.js';
import type { Lifetime } from './scheduler.js';

/**
 * Who is in a simulated world: alice (devices a1, a2), bob (b1, b2), carol (c1), with one direct
 * conversation per pair; dave (d1) starts with none and is met during the run (a conversation
 * started with him, or a group he is added to). Groups are made during the run. Accounts, sessions
 * and conversations are written straight into the store: account creation over HTTP hashes
 * passwords with scrypt on the thread pool, which would bring real time back in.
 */

export const SERVER_URL = 'ws://sim.invalid';
export const PEOPLE = [
  { username: 'alice', devices: ['a1', 'a2'], spares: ['a3', 'a4'] },
  { username: 'bob', devices: ['b1', 'b2'], spares: ['b3'] },
  { username: 'carol', devices: ['c1'], spares: ['c2', 'c3'] },
  { username: 'dave', devices: ['d1'], spares: ['d2'] },
] as const;
/** Every name a device may have in a run: those at the start, then those signed in during it (added, or replacing a lost one). */
export const DEVICE_NAMES = PEOPLE.flatMap((person) => [...person.devices, ...person.spares]);
export const USERNAMES = PEOPLE.map((person) => person.username);
/** The people whose conversations exist from the start. */
const FIRST_CONTACTS: readonly string[] = ['alice', 'bob', 'carol'];

export interface SimUser {
  id: string;
  username: string;
  displayName: string;
  token: string;
  /** Opens the person's sealed settings as their devices do (they share the account's identity). */
  settingsSeal: SettingsSeal;
  /** What the person wrote down at sign-up: it restores their identity and history on a new device. */
  recoveryKey: string;
}

export interface SimDevice {
  name: string;
  user: SimUser;
  /** Its session on the server: ending it unlinks the device. */
  sessionId: string;
  /** Whether it holds the account's identity: from the start, or once linked or restored. */
  linked: boolean;
  profileDir: string;
  /** Set when the world opens the profile, and again after every restart. */
  core: ClientCore;
  lifetime: Lifetime;
  /** Opened with the first core: a read-only handle needs the WAL files an open writer keeps. */
  inspector: MirrorInspector | undefined;
  lives: number;
}

export interface SimConversation {
  id: string;
  kind: ConversationKind;
  /** Everyone who is or ever was in it: for a group made on a device, the first members its creator chose. */
  memberIds: string[];
}

export async function createPeople(
  store: ServerStore,
  random: SeededRandom,
  root: string,
  now: number,
): Promise<{ users: SimUser[]; devices: SimDevice[]; conversations: SimConversation[] }> {
  const users: SimUser[] = [];
  const devices: SimDevice[] = [];
  for (const person of PEOPLE) {
    const account = {
      id: random.uuid(),
      username: person.username,
      displayName: person.username[0]!.toUpperCase() + person.username.slice(1),
      token: random.hex(32),
    };
    const created = await store.createUser({ ...account, passwordHash: 'not-used-in-the-simulation', createdAt: now });
    if (created.status !== 'created') throw new Error(`Could not create ${account.username}`);
    const session = {
      id: random.hex(16),
      tokenHash: hashSessionToken(account.token),
      userId: account.id,
      deviceName: null,
      createdAt: now,
    };
    await store.createSession({ ...session, maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount, expiredBefore: 0 });
    const signal = await loadSignal();
    const keys = newAccountKeys(signal, account.id, await newPasswordVerifier('not-used', random), now);
    const identity = signal.IdentityKeyPair.deserialize(new Uint8Array(Buffer.from(keys.identityKeyPair, 'base64')));
    const user: SimUser = { ...account, settingsSeal: new SettingsSeal(signal, identity), recoveryKey: keys.recoveryKey };
    users.push(user);
    for (const name of person.devices) {
      const device = await signIn(store, user, name, root, random, now);
      writeKeys(device.profileDir, keys, random, signal);
      device.linked = true;
      devices.push(device);
    }
  }
  const conversations: SimConversation[] = [];
  const first = users.filter((user) => FIRST_CONTACTS.includes(user.username));
  for (let i = 0; i < first.length; i++) {
    for (let j = i + 1; j < first.length; j++) {
      const [creator, other] = [first[i]!, first[j]!];
      const conversationId = directConversationId(creator.id, other.id);
      const created = await store.createConversation({
        conversationId,
        creatorId: creator.id,
        conversation: { kind: 'direct', userId: other.id },
        createdAt: now,
        maxMembers: LIMITS.maxGroupMembers,
        caps: UNCAPPED,
      });
      if (created.status === 'refused') throw new Error(`Seeding a conversation was refused: ${created.reason}`);
      conversations.push({ id: conversationId, kind: 'direct', memberIds: [creator.id, other.id] });
    }
  }
  return { users, devices, conversations };
}

/**
 * A device the person signed in on before the run: a session of its own (each device is a device
 * of the account on the server, with its own number, sessions and sender keys) and a profile
 * holding its token.
 */
async function signIn(
  store: ServerStore,
  user: SimUser,
  name: string,
  root: string,
  random: SeededRandom,
  now: number,
): Promise<SimDevice> {
  const token = random.hex(32);
  const sessionId = random.hex(16);
  const outcome = await store.createSession({
    id: sessionId,
    tokenHash: hashSessionToken(token),
    userId: user.id,
    deviceName: name,
    createdAt: now,
    maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount,
    expiredBefore: 0,
  });
  if (outcome === 'too_many_devices') throw new Error(`${user.username} has too many devices for ${name}`);
  return signedInDevice(name, user, sessionId, token, join(root, name));
}

/**
 * A new machine's empty profile, for a device the person logs in on during the run (its session
 * is known once the log-in is answered): it gets the account's identity by linking, or from the
 * recovery key.
 */
export function newMachine(name: string, user: SimUser, root: string): SimDevice {
  const profileDir = join(root, name);
  mkdirSync(profileDir, { recursive: true });
  return { ...unopened(name, user, profileDir), sessionId: '' };
}

/** A profile as the person left it after logging in on this device earlier. */
function signedInDevice(name: string, user: SimUser, sessionId: string, token: string, profileDir: string): SimDevice {
  mkdirSync(profileDir, { recursive: true });
  const mirror = Mirror.open(join(profileDir, MIRROR_FILE));
  mirror.saveSession({
    serverUrl: SERVER_URL,
    token,
    user: { id: user.id, username: user.username, displayName: user.displayName },
  });
  mirror.close();
  return { ...unopened(name, user, profileDir), sessionId };
}

function unopened(name: string, user: SimUser, profileDir: string): Omit<SimDevice, 'sessionId'> {
  return {
    name,
    user,
    linked: false,
    profileDir,
    core: undefined as unknown as ClientCore,
    lifetime: { name, alive: false },
    inspector: undefined,
    lives: 0,
  };
}

/** The account's identity on every device of the person, as linking would have handed it over. */
function writeKeys(
  profileDir: string,
  keys: AccountKeys,
  random: SeededRandom,
  signal: Awaited<ReturnType<typeof loadSignal>>,
): void {
  ensurePrivateDir(accountKeysDir(profileDir));
  new AccountKeysFile(profileDir, null, random, signal).write({ ...keys, recoveryKeySaved: true });
}
