/**
 * What the migrate-store tests copy: real traffic through a running server (every kind of row the
 * schema has), and what each person's client can see of it, so a server on the copy can be shown
 * to serve the same.
 */
import type { Conversation, ConversationEvent, SettingRegister, StoredSetting, User } from '../../../sync/protocol/frames.js';
import { DISAPPEARING_TIMERS_MS } from '../../../sync/protocol/disappearing.js';
import { INBOX_LIMITS } from '../../../sync/protocol/inbox-frames.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { ecKey, ecPrekeys, firstPublish, kyberPrekeys } from '../../support/key-material.js';
import {
  groupChange,
  groupOf,
  people,
  visibleLog,
  type ServerHarness,
  type SocketPerson,
  type TestServer,
} from '../../support/server-harness.js';
import { sealedSetting } from '../../support/sealed-setting.js';
import { bearer, download, sendAttachments, sha256Of, testFile, uploadFile } from './attachment-support.js';

export const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin'] as const;
export type Name = (typeof NAMES)[number];

export interface Scene {
  who: Record<Name, SocketPerson>;
  /** Every upload: one an envelope refers to (and another forwards), one completed but never sent. */
  uploadIds: string[];
  /** The conversations by what they show. */
  aliceBob: Conversation;
  trip: Conversation;
  /** The highest device inbox id the server handed out, whose envelope was acknowledged since. */
  acknowledgedEnvelopeId: string;
}

async function direct(from: SocketPerson, to: SocketPerson): Promise<Conversation> {
  const { conversation } = await from.socket.call({ type: 'start_conversation', username: to.user.username }, 'conversation');
  return conversation;
}

let clock = 0;
function setSettings(person: SocketPerson, ...settings: SettingRegister['setting'][]) {
  return person.socket.call(
    { type: 'set_settings', settings: settings.map((setting) => ({ setting, at: (clock += 1), by: 'laptop' })) },
    'settings',
  );
}

/**
 * Alice and Bob talk directly (text with a NUL in it, a file, an envelope deleted for everyone);
 * Alice's group with Bob and Carol (Bob made admin, the report forwarded by reference, Carol
 * removed); Dave and Bob talk until Dave blocks him (Bob's next envelope hidden from Dave,
 * watermarks frozen); Erin blocks Dave before he starts a conversation with her (hidden from her);
 * receipts and personal settings (mute, draft, archive, the blocks, Erin's "Show when I'm online",
 * Bob's answer to Alice's request, Erin's "Who can add me to groups") along the way; Carol's
 * envelope with a timer to Erin, read and stamped so by the sweep; last, Alice
 * blocks Bob (his next envelope in the group hidden from her, her watermarks there frozen for him).
 */
export async function playScene(h: ServerHarness, server: TestServer): Promise<Scene> {
  const who = await people(h, server, ...NAMES);
  const { alice, bob, carol, dave, erin } = who;

  const aliceBob = await direct(alice, bob);
  await alice.socket.send(aliceBob.id, 'a1', 'hello bob, see https://example.com/trip');
  const answer = await bob.socket.send(aliceBob.id, 'b1', 'hi alice, a NUL \u0000 and \u0001 here');
  const oops = await alice.socket.send(aliceBob.id, 'a2', 'oops');
  await alice.socket.send(aliceBob.id, 'a2-delete', '', { deletes: oops.clientId });
  const file = await testFile(await h.tempDir(), 4096);
  const reportId = await uploadFile(server.httpUrl, alice.account.token, file);
  const report = await sendAttachments(alice.socket, aliceBob.id, 'a3', [reportId], 'the report');
  const unsentId = await uploadFile(server.httpUrl, bob.account.token, await testFile(await h.tempDir(), 100));

  const trip = await groupOf(alice, [bob, carol]);
  await carol.socket.send(trip.id, 'c1', 'when do we leave?');
  await groupChange(alice.socket, trip.id, 'g-admin', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
  // A forward refers to the file by reference: Bob may download it through Alice's envelope.
  await sendAttachments(bob.socket, trip.id, 'b-forward', [reportId], 'forwarded: the report');
  await groupChange(alice.socket, trip.id, 'g-remove', { kind: 'remove_member', userId: carol.user.id });
  await alice.socket.send(trip.id, 'a4', 'carol has left');

  const bobDave = await direct(bob, dave);
  await dave.socket.send(bobDave.id, 'd1', 'hi bob');
  await bob.socket.call({ type: 'receipt', conversationId: bobDave.id, kind: 'read', seq: 1 }, 'ok');
  await setSettings(dave, { kind: 'blocked', userId: bob.user.id, value: true });
  await bob.socket.send(bobDave.id, 'b2', 'why no answer?');
  await setSettings(erin, { kind: 'blocked', userId: dave.user.id, value: true });
  // Erin hides when she is online (online_hidden).
  await setSettings(erin, { kind: 'show_online', value: 'nobody' });
  await direct(dave, erin);

  await bob.socket.call({ type: 'receipt', conversationId: aliceBob.id, kind: 'delivered', seq: report.seq }, 'ok');
  await bob.socket.call({ type: 'receipt', conversationId: aliceBob.id, kind: 'read', seq: answer.seq }, 'ok');
  await alice.socket.call({ type: 'receipt', conversationId: trip.id, kind: 'read', seq: 2 }, 'ok');
  await setSettings(
    alice,
    sealedSetting(`muted ${trip.id}`, 'true'),
    sealedSetting(`draft ${aliceBob.id}`, 'half a \u0000 thought'),
  );
  await setSettings(
    bob,
    sealedSetting(`archived ${aliceBob.id}`, `on at ${report.seq}`),
    // Alice's request accepted (accepted_requests); Erin lets only her contacts add her to groups (group_adds_restricted).
    { kind: 'request', conversationId: aliceBob.id, value: { answer: 'accepted', seq: 0 } },
  );
  await setSettings(erin, { kind: 'group_adds', value: 'contacts' });
  // Carol's envelope to Erin with a timer, read, and found so by the sweep (events.expires_in_ms, all_read_at).
  const carolErin = await direct(carol, erin);
  const fleeting = await carol.socket.send(carolErin.id, 'c2', 'gone in a week', { expiresInMs: DISAPPEARING_TIMERS_MS[5] });
  await erin.socket.call({ type: 'receipt', conversationId: carolErin.id, kind: 'read', seq: fleeting.seq }, 'ok');
  await sweepOnce(server);
  // Alice blocks Bob last: his next message in the trip is hidden from her (hidden_events), and he
  // is shown her watermarks there as they are now (group_block_watermarks).
  await setSettings(alice, { kind: 'blocked', userId: bob.user.id, value: true });
  await bob.socket.send(trip.id, 'b3', 'alice?');
  // Alice and Bob publish their keys (identity_keys, device_keys, one_time_prekeys); Carol fetches Alice's bundle, using up a key of each kind.
  await alice.socket.call(
    { ...firstPublish(ecKey()), ecPrekeys: ecPrekeys(1, 3), kyberPrekeys: kyberPrekeys(2, 2) },
    'key_counts',
  );
  await bob.socket.call(firstPublish(ecKey(), { ecCount: 2, kyberCount: 1 }), 'key_counts');
  await carol.socket.call({ type: 'fetch_key_bundles', userId: alice.user.id }, 'key_bundles');
  // Alice's device backs up her keys (key_backups), twice: the copy keeps the version as well as the text.
  const first = await alice.socket.call({ type: 'put_key_backup', replaces: null, ciphertext: ecKey() }, 'key_backup_stored');
  await alice.socket.call({ type: 'put_key_backup', replaces: first.version, ciphertext: ecKey() }, 'key_backup_stored');
  const acknowledgedEnvelopeId = await aliceWritesToBobsDevice(server, alice, bob);
  return { who, uploadIds: [reportId, unsentId], aliceBob, trip, acknowledgedEnvelopeId };
}

/** One pass of the disappearing-message sweep, through the store on a second connection to the server's database. */
async function sweepOnce(server: TestServer): Promise<void> {
  const store = openSqliteServerStore(server.dataDir);
  try {
    await store.purgeExpiredEnvelopes(Date.now(), 100);
  } finally {
    await store.close();
  }
}

/**
 * Alice's device sends Bob's device two envelopes (device_inbox, inbox_sends) and Bob's device
 * acknowledges the later one, so the highest id SQLite handed out is no longer in the table. Through
 * the store on a second connection to the server's database: the inbox's frames have no handlers yet.
 * Returns that id.
 */
async function aliceWritesToBobsDevice(server: TestServer, alice: SocketPerson, bob: SocketPerson): Promise<string> {
  const store = openSqliteServerStore(server.dataDir);
  try {
    const [aliceDevice] = await store.listSessions(alice.user.id, 0);
    const [bobDevice] = await store.listSessions(bob.user.id, 0);
    const ids: string[] = [];
    for (const clientId of ['inbox-1', 'inbox-2']) {
      const sent = await store.deviceInbox.send({
        senderUserId: alice.user.id,
        senderSessionId: aliceDevice!.id,
        senderDevice: aliceDevice!.deviceNumber,
        clientId,
        envelopes: [
          {
            userId: bob.user.id,
            deviceNumber: bobDevice!.deviceNumber,
            registrationId: firstPublish(ecKey()).registrationId,
            kind: 'prekey',
            ciphertext: ecKey(),
          },
        ],
        now: Date.now(),
        expiredBefore: 0,
        maxWaitingFromOneSender: INBOX_LIMITS.maxWaitingFromOneSender,
        maxWaitingPerDevice: INBOX_LIMITS.maxWaitingPerDevice,
      });
      if (sent.status !== 'stored') throw new Error(`The scene's envelope was not stored: ${sent.status}`);
      ids.push(...sent.envelopes.map((envelope) => envelope.id));
    }
    const highest = ids.at(-1)!;
    await store.deviceInbox.acknowledge({ sessionId: bobDevice!.id, ids: [highest] });
    return highest;
  } finally {
    await store.close();
  }
}

/** Everything one person's client can learn from a server: the same on the copy as on the original. */
export interface PersonView {
  user: User;
  conversations: Conversation[];
  /** Per conversation listed: the whole log a catch-up serves, with its skips and the users it names (by id). */
  logs: Record<string, { events: ConversationEvent[]; skips: number[]; users: User[] }>;
  settings: StoredSetting[];
  /** Per upload: the download's status, and the SHA-256 of what came. */
  downloads: Record<string, { status: number; sha256: string }>;
}

/** What `token`'s holder sees on `server`, through a socket opened with that token. */
export async function viewOf(h: ServerHarness, server: TestServer, token: string, uploadIds: string[]): Promise<PersonView> {
  const socket = await h.connect(server, token);
  const { conversations } = await socket.call({ type: 'list_conversations' }, 'conversations');
  const logs: PersonView['logs'] = {};
  for (const conversation of conversations) {
    const { events, skips, users } = await visibleLog(socket, conversation.id);
    // A set: neither store orders the users a page names (SQLite happens to give them by id).
    logs[conversation.id] = { events, skips, users: users.sort((a, b) => (a.id < b.id ? -1 : 1)) };
  }
  const settings: StoredSetting[] = [];
  for (let hasMore = true; hasMore;) {
    const page = await socket.call({ type: 'list_settings', afterVersion: settings.at(-1)?.version ?? 0 }, 'settings');
    settings.push(...page.settings);
    hasMore = page.hasMore;
  }
  const downloads: PersonView['downloads'] = {};
  for (const id of uploadIds) {
    const got = await download(server.httpUrl, id, bearer(token));
    downloads[id] = { status: got.status, sha256: sha256Of(got.bytes) };
  }
  await socket.close();
  return { user: socket.user, conversations, logs, settings, downloads };
}
