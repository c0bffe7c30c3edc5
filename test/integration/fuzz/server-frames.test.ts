/**
 * Hostile input on the sync socket, property-based: random JSON and text, valid frames with fields
 * broken, envelopes broken every way (bad base64, over the cap, a devices version that is no
 * number, ids that are no ids), frames of kinds that left the protocol, valid frames aimed at
 * conversations that are not the sender's (or do not exist), replayed client ids, envelopes sealed
 * for other devices, deleting what is not the sender's to delete, or referring to anything but
 * uploads the sender may refer to, key directory and device inbox frames (malformed, from devices
 * without keys, and a keyed device's sends stored byte for byte), binary frames, oversized frames
 * and bytes that are not UTF-8.
 *
 * One server and a few sockets serve every run; each run sends a batch and ends with a ping, so
 * "every frame was answered" and "nobody was pushed anything" are facts, not guesses about timing.
 * For every run: each frame gets exactly one reply, in order, with the right code (and its rid when
 * the frame had a readable one), or, for oversized frames and invalid UTF-8 only, a close with the
 * right code; nothing is logged as an internal failure; the socket still answers a ping; and the
 * server database is byte for byte what it was (snapshotted through a separate connection).
 *
 * Reproduce a failure with the seed fast-check prints: FUZZ_SEED=<seed> npx vitest run <this file>.
 * Every run ends by printing how many hostile frames it sent (fuzz-report.ts); `npm run test:fuzz`
 * is the long mode (long-run.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import {
  clientFrameSchema,
  clientIdOf,
  type ClientFrame,
  type ConversationEvent,
  type ErrorCode,
  type GroupChange,
  type ServerFrame,
} from '../../../sync/protocol/frames.js';
import type { ConversationDevices } from '../../../sync/protocol/conversation-devices.js';
import type { DeviceEnvelope, OutgoingEnvelope } from '../../../sync/protocol/inbox-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { REFUSALS, type Refusal } from '../../../sync/server/refusals.js';
import { devicesOf, devicesVersionOf } from '../../support/envelope-devices.js';
import { ecKey, firstPublish } from '../../support/key-material.js';
import { RawSocket, type Outgoing, type Received } from '../../support/raw-socket.js';
import {
  createServerHarness,
  testSealed,
  type FrameRequest,
  type ServerHarness,
  type TestAccount,
  type TestClient,
  type TestServer,
} from '../../support/server-harness.js';
import { describeEachStore, type AsyncSnapshotReader, type StoreBackend } from '../../support/store-backends.js';
import { bearer, createUpload, testFile, uploadFile, uploadIdOf, type TestFile } from '../server/attachment-support.js';
import { publishFuzzReport } from './fuzz-report.js';
import { linkFrameTypes, validLinkFrames } from './link-frames-input.js';
import {
  envelopeIds,
  envelopeKind,
  inboxFrameTypes,
  malformedInboxFrames,
  validCiphertext,
  validInboxFrames,
  type InboxFrame,
} from './inbox-frames-input.js';
import { keyFrameTypes, publishKeysArbitrary, validKeyFrames } from './key-frames-input.js';
import { backupFrameTypes, putKeyBackupArbitrary, smallBackupCiphertext, validBackupFrames } from './backup-frames-input.js';
import { callFrameTypes, malformedCallFrames, validCallFrames } from './call-frames-input.js';
import {
  anyOf,
  arbitraryText,
  brokenFrame,
  FUZZ_RUNS_SCALE,
  FUZZ_SEED,
  fuzzParams,
  fuzzTimeout,
  judge,
  junkString,
  longestSealed,
  malformedEnvelopeFrames,
  shortSealed,
  validDevicesVersion,
  validFrames,
  validId,
  validRid,
} from './hostile-input.js';

const PROPERTY_TIMEOUT_MS = fuzzTimeout(120_000);

// Set up afresh for each store backend (see setUp).
let h: ServerHarness;
let server: TestServer;
let db: AsyncSnapshotReader;

type Name = 'alice' | 'bob' | 'carol' | 'mallory' | 'dave' | 'erin';
const NAMES: Name[] = ['alice', 'bob', 'carol', 'mallory', 'dave', 'erin'];
const accounts = {} as Record<Name, TestAccount>;
/** One socket per person that stays open all along: closing a fuzz socket is never anyone's last. */
const anchors = {} as Record<Name, TestClient>;
/** The sockets the fuzzers use; replaced when a run closes one. */
const fuzz = {} as Record<Name, RawSocket>;
/** How many contacts each person has: a new socket gets one presence push per contact. */
const contacts: Record<Name, number> = { alice: 2, bob: 2, carol: 2, mallory: 0, dave: 1, erin: 1 };
const retiredSockets: RawSocket[] = [];

/** What the properties sent and checked, for the run's report (fuzz-report.ts). */
const tally = { frames: 0, snapshotsCompared: 0, snapshotsChanged: 0, fuzzingSince: 0 };

type ConversationName = 'ab' | 'ac' | 'bc' | 'de';
const conversations = {} as Record<ConversationName, string>;
const MEMBERS: Record<ConversationName, [Name, Name]> = {
  ab: ['alice', 'bob'],
  ac: ['alice', 'carol'],
  bc: ['bob', 'carol'],
  de: ['dave', 'erin'],
};

/** An envelope stored while setting up, kept to be replayed. */
interface Seed {
  sender: Name;
  conversation: ConversationName;
  clientId: string;
  frame: Extract<FrameRequest, { type: 'send_envelope' }>;
}
const seeds: Seed[] = [];
/** The stored event of each seed as it is now, by clientId. */
const stored = new Map<string, ConversationEvent>();
/** The client ids of the envelopes in alice's, bob's and carol's conversations. */
const envelopeClientIds: string[] = [];
/** Each conversation's devices version: what its members' envelopes are sealed for (nobody here publishes keys, so it stays). */
const versions = {} as Record<ConversationName, number>;
/**
 * Uploads made while setting up: alice's finished one (referred to by m-a5), bob's (referred to by
 * nothing), one of alice's never finished, and dave's.
 */
const uploads = {} as { file: TestFile; alices: string; bobs: string; unfinished: string; daves: string };

/**
 * Two people apart from the others, with keys published and a conversation of their own: sam's
 * device writes to kim's, whose inbox holds `kimsEnvelopes` (sent while setting up) for the
 * fuzzers to try to acknowledge and read. The fuzzers publish no keys, so none of their sends can
 * be stored.
 */
const inbox = {} as { sam: TestAccount; kim: TestAccount; kimsDevice: TestClient; kimsEnvelopes: DeviceEnvelope[] };
const KIM_REGISTRATION = 301;
const toKim = (kind: OutgoingEnvelope['kind'], ciphertext: string): OutgoingEnvelope => ({
  userId: inbox.kim.user.id,
  deviceNumber: 1,
  registrationId: KIM_REGISTRATION,
  kind,
  ciphertext,
});

/** Sam, kim and their device inboxes: kim's holds three envelopes from sam. */
async function setUpInbox(): Promise<void> {
  inbox.sam = await h.createAccount(server, { username: `sam-${process.pid}` });
  inbox.kim = await h.createAccount(server, { username: `kim-${process.pid}` });
  const samsDevice = await h.connect(server, inbox.sam.token);
  inbox.kimsDevice = await h.connect(server, inbox.kim.token);
  await samsDevice.call(firstPublish(ecKey(), { registrationId: 300 }), 'key_counts');
  await inbox.kimsDevice.call(firstPublish(ecKey(), { registrationId: KIM_REGISTRATION }), 'key_counts');
  await samsDevice.call({ type: 'start_conversation', username: inbox.kim.user.username }, 'conversation');
  for (const [i, kind] of (['prekey', 'whisper', 'whisper'] as const).entries()) {
    await samsDevice.call(
      { type: 'send_to_devices', clientId: `set-up-${i}`, envelopes: [toKim(kind, ecKey())] },
      'envelopes_sent',
    );
  }
  inbox.kimsEnvelopes = (await inbox.kimsDevice.call({ type: 'fetch_inbox' }, 'inbox')).envelopes;
  expect(inbox.kimsEnvelopes).toHaveLength(3);
}

async function connectFuzz(name: Name): Promise<RawSocket> {
  const socket = await RawSocket.connect(server.url, accounts[name].token);
  await socket.waitForPushes((frame) => frame.type === 'presence', contacts[name]);
  return socket;
}

/** The person's fuzz socket, reconnected if a previous run closed it. */
async function fuzzSocket(name: Name): Promise<RawSocket> {
  if (!fuzz[name].isOpen) {
    retiredSockets.push(fuzz[name]);
    fuzz[name] = await connectFuzz(name);
  }
  return fuzz[name];
}

/** Stores an envelope of `sender`'s sealing `text` (with what else it carries), kept to be replayed. */
async function seed(
  sender: Name,
  conversation: ConversationName,
  clientId: string,
  text: string,
  extra: { attachments?: string[]; deletes?: string } = {},
): Promise<void> {
  const frame = {
    type: 'send_envelope' as const,
    conversationId: conversations[conversation],
    clientId,
    ciphertext: testSealed(text),
    devicesVersion: versions[conversation],
    ...extra,
  };
  await anchors[sender].call(frame, 'sent');
  seeds.push({ sender, conversation, clientId, frame });
}

async function setUp(backend: StoreBackend): Promise<void> {
  h = createServerHarness({ backend });
  // Left over from the previous backend's run, if any.
  seeds.length = 0;
  stored.clear();
  Object.assign(tally, { frames: 0, snapshotsCompared: 0, snapshotsChanged: 0, fuzzingSince: 0 });
  envelopeClientIds.length = 0;
  server = await h.startServer();
  for (const name of NAMES) accounts[name] = await h.createAccount(server, { username: `${name}-${process.pid}` });
  for (const name of NAMES) anchors[name] = await h.connect(server, accounts[name].token);
  for (const [key, [a, b]] of Object.entries(MEMBERS) as Array<[ConversationName, [Name, Name]]>) {
    const { conversation } = await anchors[a].call(
      { type: 'start_conversation', username: accounts[b].user.username },
      'conversation',
    );
    conversations[key] = conversation.id;
    versions[key] = await devicesVersionOf(anchors[a], conversation.id);
  }
  uploads.file = await testFile(await h.tempDir(), 1000);
  uploads.alices = await uploadFile(server.httpUrl, accounts.alice.token, uploads.file);
  uploads.bobs = await uploadFile(server.httpUrl, accounts.bob.token, uploads.file);
  uploads.daves = await uploadFile(server.httpUrl, accounts.dave.token, uploads.file);
  const unfinished = await createUpload(server.httpUrl, bearer(accounts.alice.token), {
    length: 1000,
    sha256: uploads.file.sha256,
  });
  uploads.unfinished = uploadIdOf(unfinished.headers.get('location')!);
  await seed('alice', 'ab', 'm-a1', 'hello bob');
  await seed('alice', 'ab', 'm-a2', 'second');
  await seed('bob', 'ab', 'm-b1', 'hi alice');
  // An envelope deleting another of the sender's for everyone: m-a2 is kept deleted.
  await seed('alice', 'ab', 'm-a3', 'never mind', { deletes: 'm-a2' });
  await seed('bob', 'ab', 'm-b2', 'hi alice!');
  await seed('alice', 'ac', 'm-a4', 'hi carol');
  await seed('carol', 'ac', 'm-c1', 'hey');
  await seed('bob', 'bc', 'm-b3', 'carol?');
  // Everyone writes in each of their conversations, so each pair there are contacts (presence).
  await seed('carol', 'bc', 'm-c2', 'here');
  // (Not seeds to replay: dave and erin have no other conversation to replay them in.)
  await anchors.dave.send(conversations.de, 'm-d1', 'hi erin');
  await anchors.erin.send(conversations.de, 'm-e1', 'hi dave');
  await setUpInbox();
  await seed('alice', 'ab', 'm-a5', '', { attachments: [uploads.alices] });
  await anchors.alice.call({ type: 'receipt', conversationId: conversations.ab, kind: 'read', seq: 3 }, 'ok');
  for (const key of ['ab', 'ac', 'bc'] as const) {
    for (const event of await anchors[MEMBERS[key][0]].allEvents(conversations[key])) {
      stored.set(clientIdOf(event), event);
      if (event.kind === 'envelope') envelopeClientIds.push(event.clientId);
    }
  }
  for (const name of NAMES) fuzz[name] = await connectFuzz(name);
  await Promise.all(NAMES.map((name) => anchors[name].barrier()));
  db = await server.database!.openSnapshotReader();
  tally.fuzzingSince = performance.now();
}

/** Sends hostile `frames` (counted), then a ping: the replies to `frames`, in order. */
function sendHostile(socket: RawSocket, frames: readonly Outgoing[]): Promise<Received[]> {
  tally.frames += frames.length;
  return socket.exchange(frames);
}

/** Sends one hostile frame (counted) that should close the socket. */
function sendHostileUntilClosed(socket: RawSocket, frame: Outgoing): ReturnType<RawSocket['sendUntilClosed']> {
  tally.frames += 1;
  return socket.sendUntilClosed(frame);
}

/** Publishes what the run sent and found; a new socket must still be answered after all of it. */
async function report(backend: StoreBackend): Promise<void> {
  // The set-up failed (and said why): there was no run to report.
  if (tally.fuzzingSince === 0) return;
  const seconds = (performance.now() - tally.fuzzingSince) / 1000;
  let stillAnswers = true;
  try {
    const probe = await RawSocket.connect(server.url, accounts.mallory.token);
    await probe.barrier();
    await probe.close();
  } catch {
    stillAnswers = false;
  }
  const { frames, snapshotsCompared, snapshotsChanged } = tally;
  publishFuzzReport({
    backend: backend.name,
    seed: FUZZ_SEED,
    runsScale: FUZZ_RUNS_SCALE,
    frames,
    seconds,
    errorsLogged: server.logged.length,
    stillAnswers,
    snapshotsCompared,
    snapshotsChanged,
  });
  expect(stillAnswers, 'a new socket was answered after the last hostile frame').toBe(true);
}

async function tearDown(): Promise<void> {
  await db?.close();
  const sockets = [...Object.values(fuzz), ...retiredSockets.splice(0)];
  const violations = sockets.flatMap((socket) => socket.violations);
  await Promise.all(sockets.map((socket) => socket.close()));
  await h.cleanup();
  expect(violations).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the properties

/** How many pushes each open socket has received, to show afterwards that nobody was pushed anything. */
function pushCounts(): Map<RawSocket | TestClient, number> {
  const sockets = [...NAMES.map((name) => anchors[name]), ...NAMES.map((name) => fuzz[name])];
  return new Map(sockets.map((socket) => [socket, socket.pushes.length]));
}

/**
 * Runs `body`, then proves it changed nothing: after a ping round trip on every socket, no socket
 * was pushed anything, the database holds exactly the same bytes, and the server logged nothing.
 * (A socket that `body` got closed is replaced; the new one is not asked about pushes.)
 */
async function changesNothing(body: () => Promise<void>): Promise<void> {
  const before = await db.snapshot();
  const pushesBefore = pushCounts();
  await body();
  for (const name of NAMES) await fuzzSocket(name);
  await Promise.all([...NAMES.map((name) => anchors[name].barrier()), ...NAMES.map((name) => fuzz[name].barrier())]);
  expect(server.logged).toEqual([]);
  const pushed = [...pushesBefore]
    .filter(([socket, count]) => socket.pushes.length !== count)
    .flatMap(([socket, count]): unknown[] => socket.pushes.slice(count));
  expect(pushed, 'pushes reached someone').toEqual([]);
  const after = await db.snapshot();
  tally.snapshotsCompared += 1;
  if (!isDeepStrictEqual(after, before)) tally.snapshotsChanged += 1;
  expect(after).toEqual(before);
}

/**
 * Closes a socket of an account made for one property run and waits until the server noted the
 * device leaving (last_seen_at): a note landing later would count as a change in the next run.
 */
async function closedAndNoted(device: RawSocket, userId: string): Promise<void> {
  await device.close();
  const seen = async () =>
    (
      await server.database!.query<{ seen: number | string | null }>(
        `SELECT last_seen_at AS seen FROM users WHERE id = '${userId}'`,
      )
    )[0]?.seen ?? null;
  for (const deadline = Date.now() + 10_000; (await seen()) === null;) {
    if (Date.now() > deadline) throw new Error(`the server never noted ${userId} leaving`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Replies must pair one to one with the frames sent. */
function expectOneReplyEach(replies: Received[], frames: readonly unknown[]): void {
  expect(replies.length, `${frames.length} frame(s) got ${replies.length} replies: ${replies.map((r) => r.raw).join('\n')}`).toBe(
    frames.length,
  );
}

function expectBadFrame(reply: Received, frame: Outgoing): void {
  const verdict = judge(frame);
  if (verdict === null) throw new Error('expectBadFrame called with a valid frame');
  expect(reply.frame).toMatchObject({ type: 'error', code: 'bad_frame' });
  const error = reply.frame as Extract<ServerFrame, { type: 'error' }>;
  expect(error.message.length).toBeGreaterThan(0);
  if (verdict.rid === undefined)
    expect(Object.hasOwn(JSON.parse(reply.raw) as object, 'rid'), `no rid expected: ${reply.raw}`).toBe(false);
  else expect(error.rid).toBe(verdict.rid);
}

function expectError(reply: Received, rid: string, code: ErrorCode, refusal?: Refusal): void {
  expect(reply.frame).toEqual({
    type: 'error',
    rid,
    code,
    ...(refusal ? { reason: refusal.reason, message: refusal.message } : { message: expect.any(String) as unknown }),
  });
}

const invalidOnly = (frame: Outgoing) => judge(frame) !== null;

// ---------------------------------------------------------------------------------------------
// Frames to send

const senders = fc.constantFrom<Name>('alice', 'bob', 'mallory');

/** The people here, by id. */
const anyone = fc.constantFrom(...NAMES).map((name) => accounts[name].user.id);
/** The uploads made while setting up, by id. */
const anyUpload = fc.constantFrom('alices', 'bobs', 'unfinished', 'daves' as const).map((key) => uploads[key]);

/** Valid frames aimed at alice's own conversations, real envelopes, uploads and people: the best starting point for mutants. */
const aliceFrames = validFrames({
  conversationIds: fc.constantFrom('ab', 'ac').map((key) => conversations[key]),
  envelopeIds: fc.constantFrom('m-a1', 'm-a2', 'm-b1', 'm-a4', 'm-c1'),
  uploadIds: anyUpload,
  userIds: anyone,
  usernames: fc.constantFrom('bob', 'carol').map((name) => accounts[name as Name].user.username),
});

/** Valid key directory frames: fetches aimed at the people here and at ids nobody has. */
const keyFrames = validKeyFrames(
  fc.oneof(
    fc.constantFrom(...NAMES).map((name) => accounts[name].user.id),
    validId,
  ),
);

/** Valid key backup frames: the fuzzers' accounts have no backup, so every write names a version that is not there. */
const backupFrames = validBackupFrames();

/** The envelope ids kim's device was given, and the same as other people's: no fuzzer's own. */
const kimsIds = envelopeIds(fc.nat().map((i) => inbox.kimsEnvelopes[i % inbox.kimsEnvelopes.length]!.id));
/** A person and those they share a conversation with: whom their envelopes may go to. */
const ownAndContacts = (name: Name): fc.Arbitrary<string> =>
  fc.constantFrom(name, ...contactsOf(name)).map((each) => accounts[each].user.id);
/** Whom a person's envelopes are sent to: themselves and their contacts mostly, else anyone here, sam, kim or nobody. */
function recipientsOf(name: Name): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: ownAndContacts(name) },
    fc.constantFrom(...NAMES).map((each) => accounts[each].user.id),
    fc.constantFrom('sam' as const, 'kim' as const).map((each) => inbox[each].user.id),
    validId,
  );
}
const contactsOf = (name: Name): Name[] =>
  Object.values(MEMBERS).flatMap((pair) => (pair.includes(name) ? pair.filter((each) => each !== name) : []));

/** Valid inbox frames of anyone's: sends aimed at the people here and ids nobody has, acknowledgements of kim's envelopes. */
const inboxFrames = validInboxFrames({ userIds: recipientsOf('alice'), envelopeIds: kimsIds });

/**
 * Valid linking frames naming device numbers no account here has (each has an anchor's device and
 * the fuzzer's): a hand-over to one of an account's own keyless devices is stored, as it should be,
 * so the fuzzers aim past them.
 */
const FIRST_DEVICE_NOBODY_HAS = 20;
const linkFrames = validLinkFrames(fc.integer({ min: FIRST_DEVICE_NOBODY_HAS, max: 127 }));

/**
 * What a fuzzer's device, which has no keys and no envelopes, is answered: a send naming anyone
 * who shares no conversation with it is not_a_contact; any other names devices the server does
 * not know of (nobody here published keys), every one of them `extra`. Its inbox is empty, and
 * acknowledging ids (kim's, or nobody's) is answered ok and deletes nothing.
 */
function keylessAnswer(name: Name, frame: InboxFrame): ServerFrame {
  switch (frame.type) {
    case 'fetch_inbox':
      return { type: 'inbox', rid: frame.rid, envelopes: [], hasMore: false };
    case 'ack_inbox':
      return { type: 'ok', rid: frame.rid };
    case 'send_to_devices':
      return keylessAddressing(name, frame.rid, frame.envelopes);
  }
}

/** How a send to devices without keys is refused: a stranger named, else every device named is one with none. */
function keylessAddressing(name: Name, rid: string, envelopes: readonly OutgoingEnvelope[]): ServerFrame {
  const self = accounts[name].user.id;
  const contacts = new Set(contactsOf(name).map((each) => accounts[each].user.id));
  if (envelopes.some((envelope) => envelope.userId !== self && !contacts.has(envelope.userId))) {
    return { type: 'error', rid, ...REFUSALS.not_a_contact };
  }
  const named = new Map<string, number[]>();
  for (const { userId, deviceNumber } of envelopes) named.set(userId, [...(named.get(userId) ?? []), deviceNumber]);
  return {
    type: 'devices_changed',
    rid,
    mismatches: [...named].map(([userId, extra]) => ({ userId, missing: [], extra: extra.sort((a, b) => a - b), stale: [] })),
  };
}

describeEachStore('the sync server under hostile input', (backend) => {
  beforeAll(() => setUp(backend), 60_000);
  afterAll(async () => {
    try {
      await report(backend);
    } finally {
      await tearDown();
    }
  });
  it(
    'answers arbitrary JSON and text with bad_frame, one reply each, and changes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          senders,
          fc.array(arbitraryText.filter(invalidOnly), { minLength: 1, maxLength: 8 }),
          async (name, frames) => {
            await changesNothing(async () => {
              const replies = await sendHostile(await fuzzSocket(name), frames);
              expectOneReplyEach(replies, frames);
              replies.forEach((reply, index) => expectBadFrame(reply, frames[index]!));
            });
          },
        ),
        fuzzParams(800),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers almost-valid frames (a field missing, of the wrong type, too long, not a number, junk) with bad_frame and changes nothing',
    async () => {
      const valid = {
        ...aliceFrames,
        ...keyFrames,
        ...inboxFrames,
        ...linkFrames,
        ...validBackupFrames(smallBackupCiphertext),
        ...validCallFrames(recipientsOf('alice')),
      };
      // Every frame type a client may send is broken here (a key is its type, or type/kind).
      const types = (keys: string[]) => [...new Set(keys.map((key) => key.split('/')[0]!))].sort();
      expect(types(Object.keys(valid))).toEqual(types(clientFrameSchema.options.map((option) => option.shape.type.value)));
      const mutant = brokenFrame(anyOf<ClientFrame>(valid)).filter(invalidOnly);
      await fc.assert(
        fc.asyncProperty(senders, fc.array(mutant, { minLength: 1, maxLength: 6 }), async (name, frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(await fuzzSocket(name), frames);
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => expectBadFrame(reply, frames[index]!));
          });
        }),
        fuzzParams(2000),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers envelopes with bad base64, sealed content over the cap, a devices version or ids that are none, or too many attachments with bad_frame, and changes nothing',
    async () => {
      // Envelopes alice could really send (fresh ids, her own finished upload, sealed for the devices now): only the break refuses them.
      const sendable = fc
        .record(
          {
            rid: validRid,
            conversation: fc.constantFrom('ab' as const, 'ac' as const),
            clientId: validId.filter((id) => !stored.has(id)),
            ciphertext: shortSealed,
            attachments: fc.array(fc.constant(uploads.alices), { maxLength: 2 }),
          },
          { requiredKeys: ['rid', 'conversation', 'clientId', 'ciphertext'] },
        )
        .map(({ conversation, ...frame }) => ({
          type: 'send_envelope' as const,
          conversationId: conversations[conversation],
          devicesVersion: versions[conversation],
          ...frame,
        }));
      const malformed = malformedEnvelopeFrames(sendable);
      await fc.assert(
        fc.asyncProperty(senders, fc.array(malformed, { minLength: 1, maxLength: 6 }), async (name, frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(await fuzzSocket(name), frames);
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => expectBadFrame(reply, frames[index]!));
          });
        }),
        fuzzParams(300),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('refuses the frames that left the protocol (send, change, a group rename) as malformed, from members and strangers alike, and changes nothing', async () => {
    // Old clients are refused at the upgrade; a hostile one may still send these over a current socket.
    const frames = [
      { type: 'send', rid: 'old-send', conversationId: conversations.ab, clientMessageId: 'old-1', text: 'hello' },
      {
        type: 'send',
        rid: 'old-reply',
        conversationId: conversations.ab,
        clientMessageId: 'old-2',
        text: 're',
        replyTo: 'm-a1',
        after: 'm-a5',
      },
      {
        type: 'change',
        rid: 'old-edit',
        conversationId: conversations.ab,
        clientChangeId: 'old-3',
        change: { kind: 'edit', messageId: 'm-a1', text: 'edited' },
      },
      {
        type: 'change',
        rid: 'old-delete',
        conversationId: conversations.ab,
        clientChangeId: 'old-4',
        change: { kind: 'delete', messageId: 'm-b1' },
      },
      {
        type: 'change',
        rid: 'old-reaction',
        conversationId: conversations.ab,
        clientChangeId: 'old-5',
        change: { kind: 'reaction', messageId: 'm-b1', emoji: '👍', on: true },
      },
      {
        type: 'change',
        rid: 'old-pin',
        conversationId: conversations.ab,
        clientChangeId: 'old-6',
        change: { kind: 'pin', messageId: 'm-b1', on: true },
      },
      {
        type: 'group_change',
        rid: 'old-rename',
        conversationId: conversations.ab,
        clientChangeId: 'old-7',
        change: { kind: 'rename', name: 'Renamed' },
      },
    ].map((frame) => JSON.stringify(frame));
    for (const name of ['alice', 'mallory'] as const) {
      await changesNothing(async () => {
        const replies = await sendHostile(await fuzzSocket(name), frames);
        expectOneReplyEach(replies, frames);
        replies.forEach((reply, index) => {
          expectBadFrame(reply, frames[index]!);
          expect(reply.frame).toMatchObject({ rid: (JSON.parse(frames[index]!) as { rid: string }).rid });
        });
      });
    }
  });

  it('refuses lone surrogates in ids with bad_frame: stored as UTF-8 they would read back as something else', async () => {
    await changesNothing(async () => {
      const envelope = {
        type: 'send_envelope',
        conversationId: conversations.ab,
        ciphertext: testSealed('hi'),
        devicesVersion: versions.ab,
      };
      const frames = [
        { ...envelope, rid: 'lone-id', clientId: 'x\udbff' },
        { ...envelope, rid: 'lone-deletes', clientId: 'lone-1', deletes: 'm-a1\udc00' },
        { ...envelope, rid: 'lone-attachment', clientId: 'lone-2', attachments: [uploads.alices, '\ud800'] },
        { ...envelope, rid: 'lone-after', clientId: 'lone-3', after: 'm-a5\ud800' },
        {
          type: 'group_change',
          rid: 'lone-change-id',
          conversationId: conversations.ab,
          clientChangeId: '\ud83d',
          change: { kind: 'leave' },
        },
        { type: 'typing', rid: 'lone-conversation', conversationId: `${conversations.ab}\ud800` },
      ].map((frame) => JSON.stringify(frame));
      const replies = await sendHostile(await fuzzSocket('alice'), frames);
      expectOneReplyEach(replies, frames);
      replies.forEach((reply, index) => expectBadFrame(reply, frames[index]!));
    });
  });

  it('refuses a member’s envelopes sealed for another devices version (or none) with the devices now, and changes nothing', async () => {
    // The devices now, as a probe's refusal says them; every refusal must say the same.
    const now = new Map<string, ConversationDevices>();
    for (const key of ['ab', 'ac'] as const) now.set(conversations[key], await devicesOf(anchors.alice, conversations[key]));
    // Fresh client ids, nothing deleted, no files: the devices version is what the refusal is about.
    const envelopes = aliceFrames.send_envelope as fc.Arbitrary<Extract<ClientFrame, { type: 'send_envelope' }>>;
    const stale = envelopes
      .map(({ deletes: _deletes, attachments: _attachments, ...frame }) => ({
        ...frame,
        clientId: `dv-${frame.clientId}`.slice(0, 64),
      }))
      // (A cut id may end in half a surrogate pair: that is the shape fuzzers' business.)
      .filter(
        (frame) => frame.devicesVersion !== now.get(frame.conversationId)!.version && clientFrameSchema.safeParse(frame).success,
      );
    await fc.assert(
      fc.asyncProperty(fc.array(stale, { minLength: 1, maxLength: 6 }), async (frames) => {
        await changesNothing(async () => {
          const replies = await sendHostile(
            await fuzzSocket('alice'),
            frames.map((frame) => JSON.stringify(frame)),
          );
          expectOneReplyEach(replies, frames);
          replies.forEach((reply, index) => {
            const frame = frames[index]!;
            const { code, reason, message } = REFUSALS.conversation_devices_changed;
            expect(reply.frame).toEqual({
              type: 'error',
              rid: frame.rid,
              code,
              reason,
              message,
              devices: now.get(frame.conversationId),
            });
          });
        });
      }),
      fuzzParams(100),
    );
  });

  it(
    "refuses valid frames aimed at conversations that are not the sender's, or do not exist, with not_found and changes nothing",
    async () => {
      const existing = new Set(NAMES.map((name) => accounts[name].user.username));
      const unknownConversation = validId.filter((id) => !Object.values(conversations).includes(id));
      // Whose conversations each sender may aim at without being a member.
      const foreign: Array<[Name, ConversationName[]]> = [
        ['mallory', ['ab', 'ac', 'bc', 'de']],
        ['alice', ['bc', 'de']],
        ['bob', ['ac', 'de']],
        ['dave', ['ab', 'ac', 'bc']],
      ];
      const attempt = fc.constantFrom(...foreign).chain(([name, keys]) => {
        const scoped = validFrames({
          conversationIds: fc.oneof(
            fc.constantFrom(...keys).map((key) => conversations[key]),
            unknownConversation,
          ),
          envelopeIds: fc.oneof(fc.constantFrom(...envelopeClientIds), validId),
          uploadIds: fc.oneof(anyUpload, validId),
          userIds: fc.oneof(anyone, validId),
          usernames: fc.constant('unused'),
        });
        const {
          list_conversations: _list,
          start_conversation: _start,
          find_user: _find,
          'create_conversation/group': _group,
          'create_conversation/direct': _direct,
          ping: _ping,
          set_settings: _set,
          list_settings: _settings,
          ...conversationFrames
        } = scoped;
        const startWithNobody = fc
          .record({
            type: fc.constant('start_conversation' as const),
            rid: validRid,
            username: fc.oneof(junkString({ minLength: 1, maxLength: 32 }), fc.string({ minLength: 1, maxLength: 32 })),
          })
          .filter((frame) => clientFrameSchema.safeParse(frame).success && !existing.has(frame.username.trim().toLowerCase()));
        const startWithSelf = fc.record({
          type: fc.constant('start_conversation' as const),
          rid: validRid,
          username: fc.constantFrom(accounts[name].user.username, ` ${accounts[name].user.username.toUpperCase()}\t`),
        });
        return fc.tuple(
          fc.constant(name),
          fc.array(fc.oneof(anyOf(conversationFrames), startWithNobody, startWithSelf), { minLength: 1, maxLength: 6 }),
        );
      });
      await fc.assert(
        fc.asyncProperty(attempt, async ([name, frames]) => {
          await changesNothing(async () => {
            const replies = await sendHostile(
              await fuzzSocket(name),
              frames.map((frame) => JSON.stringify(frame)),
            );
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => {
              const frame = frames[index]!;
              if (frame.type !== 'start_conversation') {
                expectError(reply, frame.rid, REFUSALS.conversation_not_found.code, REFUSALS.conversation_not_found);
              } else if (frame.username.trim().toLowerCase() === accounts[name].user.username) {
                expectError(reply, frame.rid, REFUSALS.start_with_yourself.code, REFUSALS.start_with_yourself);
              } else {
                expectError(reply, frame.rid, 'not_found', REFUSALS.no_such_user);
              }
            });
          });
        }),
        fuzzParams(500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers every linking frame naming a device the account does not have with no_such_device, and changes nothing',
    async () => {
      // Every linking frame the schema declares is sent here.
      expect(Object.keys(linkFrames).sort()).toEqual(linkFrameTypes().sort());
      await fc.assert(
        fc.asyncProperty(senders, fc.array(anyOf(linkFrames), { minLength: 1, maxLength: 6 }), async (name, frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(
              await fuzzSocket(name),
              frames.map((frame) => JSON.stringify(frame)),
            );
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => expectError(reply, frames[index]!.rid, 'not_found', REFUSALS.no_such_device));
          });
        }),
        fuzzParams(200),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers every key directory frame from devices that published no keys (nothing to fetch, no identity, none counted, an incomplete publish refused), and changes nothing',
    async () => {
      // Every key frame the schema declares is sent here.
      expect(Object.keys(keyFrames).sort()).toEqual(keyFrameTypes().sort());
      await fc.assert(
        fc.asyncProperty(senders, fc.array(anyOf(keyFrames), { minLength: 1, maxLength: 6 }), async (name, frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(
              await fuzzSocket(name),
              frames.map((frame) => JSON.stringify(frame)),
            );
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => {
              const frame = frames[index]!;
              if (frame.type === 'publish_keys') expectError(reply, frame.rid, 'invalid', REFUSALS.keys_incomplete);
              else if (frame.type === 'fetch_key_bundles') expectError(reply, frame.rid, 'not_found', REFUSALS.no_keys);
              else if (frame.type === 'fetch_identity') {
                expect(reply.frame).toEqual({ type: 'identity', rid: frame.rid, userId: frame.userId, identityKey: null });
              } else {
                expect(reply.frame).toEqual({
                  type: 'key_counts',
                  rid: frame.rid,
                  published: false,
                  ecPrekeys: 0,
                  kyberPrekeys: 0,
                });
              }
            });
          });
        }),
        fuzzParams(300),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'hands out the keys a device published byte for byte: its bundle has its lowest one-time keys, or the last-resort one',
    async () => {
      let devices = 0;
      await fc.assert(
        fc.asyncProperty(publishKeysArbitrary(true), async (published) => {
          const account = await h.createAccount(server, { username: `keys${++devices}-${process.pid}` });
          const device = await RawSocket.connect(server.url, account.token);
          try {
            const [counts] = await sendHostile(device, [JSON.stringify(published)]);
            expect(counts!.frame).toEqual({
              type: 'key_counts',
              rid: published.rid,
              published: true,
              ecPrekeys: published.ecPrekeys?.length ?? 0,
              kyberPrekeys: published.kyberPrekeys?.length ?? 0,
            });
            const [fetched] = await sendHostile(await fuzzSocket('mallory'), [
              JSON.stringify({ type: 'fetch_key_bundles', rid: 'keys', userId: account.user.id }),
            ]);
            const oneTimeKyber = published.kyberPrekeys?.[0];
            expect(fetched!.frame).toEqual({
              type: 'key_bundles',
              rid: 'keys',
              userId: account.user.id,
              identityKey: published.identityKey,
              bundles: [
                {
                  deviceNumber: 1,
                  registrationId: published.registrationId,
                  signedPrekey: published.signedPrekey,
                  ...(published.ecPrekeys ? { ecPrekey: published.ecPrekeys[0] } : {}),
                  kyberPrekey: { ...(oneTimeKyber ?? published.kyberLastResortPrekey), lastResort: !oneTimeKyber },
                },
              ],
            });
          } finally {
            await closedAndNoted(device, account.user.id);
          }
        }),
        fuzzParams(25),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers every key backup frame from accounts without a backup (nothing to read, a write naming a version refused), and changes nothing',
    async () => {
      // Every backup frame the schema declares is sent here.
      expect(Object.keys(backupFrames).sort()).toEqual(backupFrameTypes().sort());
      await fc.assert(
        fc.asyncProperty(senders, fc.array(anyOf(backupFrames), { minLength: 1, maxLength: 6 }), async (name, frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(
              await fuzzSocket(name),
              frames.map((frame) => JSON.stringify(frame)),
            );
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => {
              const frame = frames[index]!;
              if (frame.type === 'put_key_backup') {
                expectError(reply, frame.rid, 'conflict', REFUSALS.backup_version_mismatch);
              } else {
                expect(reply.frame).toEqual({ type: 'key_backup', rid: frame.rid, backup: null });
              }
            });
          });
        }),
        fuzzParams(200),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers every call frame from devices without keys (no relay named, ephemeral sends refused), and changes nothing',
    async () => {
      // Every call frame the schema declares is sent here.
      expect(Object.keys(validCallFrames(recipientsOf('alice'))).sort()).toEqual(callFrameTypes().sort());
      const attempt = senders.chain((name) => {
        const frames = validCallFrames(recipientsOf(name));
        // Sends to contacts only as well: a hundred envelopes to anyone nearly always name a stranger.
        const toContacts = validCallFrames(ownAndContacts(name)).send_ephemeral;
        return fc.tuple(fc.constant(name), fc.array(anyOf({ ...frames, toContacts }), { minLength: 1, maxLength: 6 }));
      });
      await fc.assert(
        fc.asyncProperty(attempt, async ([name, frames]) => {
          const kimsPushes = inbox.kimsDevice.pushes.length;
          await changesNothing(async () => {
            const replies = await sendHostile(
              await fuzzSocket(name),
              frames.map((frame) => JSON.stringify(frame)),
            );
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => {
              const frame = frames[index]!;
              expect(reply.frame, `${name} sent ${JSON.stringify(frame).slice(0, 400)}`).toEqual(
                frame.type === 'send_ephemeral'
                  ? keylessAddressing(name, frame.rid, frame.envelopes)
                  : { type: 'turn_credentials', rid: frame.rid, iceServers: [], expiresAt: null },
              );
            });
          });
          expect(inbox.kimsDevice.pushes.length).toBe(kimsPushes);
        }),
        fuzzParams(150),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'keeps a key backup byte for byte for its own account: the next write in its place stores, anyone else reads none',
    async () => {
      let accountsMade = 0;
      await fc.assert(
        fc.asyncProperty(
          putKeyBackupArbitrary(fc.constant(null)),
          putKeyBackupArbitrary(fc.constant(1)),
          async (first, second) => {
            const account = await h.createAccount(server, { username: `backup${++accountsMade}-${process.pid}` });
            const device = await RawSocket.connect(server.url, account.token);
            try {
              const [stored, again, replaced, fetched] = await sendHostile(device, [
                JSON.stringify(first),
                JSON.stringify({ ...first, rid: 'again' }),
                JSON.stringify(second),
                JSON.stringify({ type: 'fetch_key_backup', rid: 'fetch' }),
              ]);
              expect(stored!.frame).toEqual({ type: 'key_backup_stored', rid: first.rid, version: 1 });
              expectError(again!, 'again', 'conflict', REFUSALS.backup_version_mismatch);
              expect(replaced!.frame).toEqual({ type: 'key_backup_stored', rid: second.rid, version: 2 });
              expect(fetched!.frame).toEqual({
                type: 'key_backup',
                rid: 'fetch',
                backup: { version: 2, ciphertext: second.ciphertext },
              });
              const [stranger] = await sendHostile(await fuzzSocket('mallory'), [
                JSON.stringify({ type: 'fetch_key_backup', rid: 'stranger' }),
              ]);
              expect(stranger!.frame).toEqual({ type: 'key_backup', rid: 'stranger', backup: null });
            } finally {
              await closedAndNoted(device, account.user.id);
            }
          },
        ),
        fuzzParams(25),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers every inbox frame from devices without keys (sends refused, an empty inbox, others’ envelopes not acknowledged), and changes nothing',
    async () => {
      // Every inbox frame the schema declares is sent here.
      expect(Object.keys(inboxFrames).sort()).toEqual(inboxFrameTypes().sort());
      const attempt = senders.chain((name) => {
        const frames = validInboxFrames({ userIds: recipientsOf(name), envelopeIds: kimsIds });
        // Sends to contacts only as well: a hundred envelopes to anyone nearly always name a stranger.
        const toContacts = validInboxFrames({ userIds: ownAndContacts(name), envelopeIds: kimsIds }).send_to_devices;
        return fc.tuple(fc.constant(name), fc.array(anyOf({ ...frames, toContacts }), { minLength: 1, maxLength: 6 }));
      });
      await fc.assert(
        fc.asyncProperty(attempt, async ([name, frames]) => {
          const kimsPushes = inbox.kimsDevice.pushes.length;
          await changesNothing(async () => {
            const replies = await sendHostile(
              await fuzzSocket(name),
              frames.map((frame) => JSON.stringify(frame)),
            );
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => {
              const frame = frames[index]!;
              expect(reply.frame, `${name} sent ${JSON.stringify(frame).slice(0, 400)}`).toEqual(keylessAnswer(name, frame));
            });
          });
          // Kim's device still has every envelope the fuzzers acknowledged, and was sent none.
          expect((await inbox.kimsDevice.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toEqual(inbox.kimsEnvelopes);
          expect(inbox.kimsDevice.pushes.length).toBe(kimsPushes);
        }),
        fuzzParams(250),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers inbox frames with bad base64, over-long ciphertexts, one device twice, numbers out of range or ids that are not envelope ids with bad_frame, and changes nothing',
    async () => {
      // Envelopes a keyed device could really send (to kim, from sam's conversation): only the break refuses them.
      const toKimOrAnyone = fc.oneof(
        fc.tuple(envelopeKind, validCiphertext).map(([kind, ciphertext]) => toKim(kind, ciphertext)),
        fc.record({
          userId: recipientsOf('alice'),
          deviceNumber: fc.integer({ min: 1, max: 127 }),
          registrationId: fc.integer({ min: 1, max: 16_380 }),
          kind: envelopeKind,
          ciphertext: fc.base64String({ minLength: 4, maxLength: 200 }),
        }),
      );
      const malformed = malformedInboxFrames(toKimOrAnyone, kimsIds).filter(
        (frame) => Buffer.byteLength(frame) <= LIMITS.maxFrameBytes,
      );
      await fc.assert(
        fc.asyncProperty(senders, fc.array(malformed, { minLength: 1, maxLength: 6 }), async (name, frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(await fuzzSocket(name), frames);
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => expectBadFrame(reply, frames[index]!));
          });
        }),
        fuzzParams(200),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers call frames with bad base64, over-long ciphertexts, one device twice or numbers out of range with bad_frame, forwards nothing, and changes nothing',
    async () => {
      // Envelopes a keyed device could really send to kim: only the break stands between them and kim's socket.
      const toKimOrAnyone = fc.oneof(
        fc.tuple(envelopeKind, validCiphertext).map(([kind, ciphertext]) => toKim(kind, ciphertext)),
        fc.record({
          userId: recipientsOf('alice'),
          deviceNumber: fc.integer({ min: 1, max: 127 }),
          registrationId: fc.integer({ min: 1, max: 16_380 }),
          kind: envelopeKind,
          ciphertext: fc.base64String({ minLength: 4, maxLength: 200 }),
        }),
      );
      const malformed = malformedCallFrames(toKimOrAnyone).filter((frame) => Buffer.byteLength(frame) <= LIMITS.maxFrameBytes);
      await fc.assert(
        fc.asyncProperty(senders, fc.array(malformed, { minLength: 1, maxLength: 6 }), async (name, frames) => {
          const kimsPushes = inbox.kimsDevice.pushes.length;
          await changesNothing(async () => {
            const replies = await sendHostile(await fuzzSocket(name), frames);
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => expectBadFrame(reply, frames[index]!));
          });
          expect(inbox.kimsDevice.pushes.length).toBe(kimsPushes);
        }),
        fuzzParams(150),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'stores the well-formed envelopes a keyed device sends byte for byte, once, and nothing of the malformed or misaddressed ones beside them',
    async () => {
      type Step =
        | { kind: 'stored'; envelope: OutgoingEnvelope }
        | { kind: 'misaddressed'; envelope: OutgoingEnvelope }
        | { kind: 'malformed'; frame: string }
        | { kind: 'own'; frame: Extract<InboxFrame, { type: 'ack_inbox' | 'fetch_inbox' }> };
      // Sam's own inbox is empty; acknowledging what he sent kim (or ids nobody has) deletes nothing.
      const { ack_inbox: ack, fetch_inbox: fetch } = validInboxFrames({ userIds: validId, envelopeIds: kimsIds });
      const wellFormed = fc.tuple(envelopeKind, validCiphertext).map(([kind, ciphertext]) => toKim(kind, ciphertext));
      const step: fc.Arbitrary<Step> = fc.oneof(
        { weight: 3, arbitrary: wellFormed.map((envelope) => ({ kind: 'stored' as const, envelope })) },
        fc
          .tuple(
            wellFormed,
            fc.oneof(
              fc.record({ deviceNumber: fc.integer({ min: 2, max: 127 }) }),
              fc.record({
                registrationId: fc.integer({ min: 1, max: 16_380 }).filter((id) => id !== KIM_REGISTRATION),
              }),
            ),
          )
          .map(([envelope, wrong]) => ({ kind: 'misaddressed' as const, envelope: { ...envelope, ...wrong } })),
        malformedInboxFrames(wellFormed, kimsIds)
          .filter((frame) => Buffer.byteLength(frame) <= LIMITS.maxFrameBytes)
          .map((frame) => ({ kind: 'malformed' as const, frame })),
        fc
          .oneof(ack, fetch)
          .map((frame) => ({ kind: 'own' as const, frame: frame as Extract<InboxFrame, { type: 'ack_inbox' | 'fetch_inbox' }> })),
      );
      const lastSetUpId = inbox.kimsEnvelopes.at(-1)!.id;
      let sends = 0;
      const samsDevice = await RawSocket.connect(server.url, inbox.sam.token);
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
            const clientIds = steps.map(() => `fuzz-${++sends}`);
            const sendOf = (index: number, envelope: OutgoingEnvelope, rid = `s${index}`) =>
              JSON.stringify({ type: 'send_to_devices', rid, clientId: clientIds[index], envelopes: [envelope] });
            const kimsPushes = inbox.kimsDevice.pushes.length;
            const sent = steps.map((each, index) => {
              if (each.kind === 'malformed') return each.frame;
              if (each.kind === 'own') return JSON.stringify({ ...each.frame, rid: `s${index}` });
              return sendOf(index, each.envelope);
            });
            const replies = await sendHostile(samsDevice, sent);
            expectOneReplyEach(replies, sent);
            replies.forEach((reply, index) => {
              const each = steps[index]!;
              if (each.kind === 'malformed') expectBadFrame(reply, sent[index]!);
              else if (each.kind === 'own') {
                expect(reply.frame).toEqual(
                  each.frame.type === 'ack_inbox'
                    ? { type: 'ok', rid: `s${index}` }
                    : { type: 'inbox', rid: `s${index}`, envelopes: [], hasMore: false },
                );
              } else if (each.kind === 'stored') {
                expect(reply.frame).toEqual({ type: 'envelopes_sent', rid: `s${index}`, clientId: clientIds[index] });
              } else {
                const { deviceNumber, registrationId } = each.envelope;
                const wrongDevice = deviceNumber !== 1;
                expect(reply.frame).toEqual({
                  type: 'devices_changed',
                  rid: `s${index}`,
                  mismatches: [
                    {
                      userId: inbox.kim.user.id,
                      missing: wrongDevice ? [1] : [],
                      extra: wrongDevice ? [deviceNumber] : [],
                      stale: registrationId !== KIM_REGISTRATION && !wrongDevice ? [1] : [],
                    },
                  ],
                });
              }
            });
            // The stored sends again, with other ciphertexts, as after a lost answer: stored once.
            const again = steps.flatMap((each, index) =>
              each.kind === 'stored' ? [sendOf(index, { ...each.envelope, ciphertext: 'QUdBSU4=' }, `again${index}`)] : [],
            );
            if (again.length > 0) {
              const answers = await sendHostile(samsDevice, again);
              expect(answers.map((answer) => answer.frame.type)).toEqual(again.map(() => 'envelopes_sent'));
            }
            // Kim's device reads exactly the stored ones, in order and byte for byte, and acknowledges them.
            const stored = steps.flatMap((each) => (each.kind === 'stored' ? [each.envelope] : []));
            const page = await inbox.kimsDevice.call({ type: 'fetch_inbox', after: lastSetUpId }, 'inbox');
            expect(page.envelopes).toEqual(
              stored.map(({ kind, ciphertext }) => ({
                id: expect.stringMatching(/^[1-9][0-9]*$/) as string,
                senderUserId: inbox.sam.user.id,
                senderDevice: 1,
                deviceNumber: 1,
                kind,
                ciphertext,
                sentAt: expect.any(Number) as number,
              })),
            );
            // …as they were pushed to it, once each.
            const pushed = inbox.kimsDevice.pushes
              .slice(kimsPushes)
              .flatMap((push) => (push.type === 'inbox_push' ? push.envelopes : []));
            expect(pushed).toEqual(page.envelopes);
            expect(inbox.kimsDevice.violations).toEqual([]);
            if (page.envelopes.length > 0) {
              await inbox.kimsDevice.call({ type: 'ack_inbox', ids: page.envelopes.map((envelope) => envelope.id) }, 'ok');
            }
            expect((await inbox.kimsDevice.call({ type: 'fetch_inbox' }, 'inbox')).envelopes).toEqual(inbox.kimsEnvelopes);
            expect(server.logged).toEqual([]);
          }),
          fuzzParams(100),
        );
      } finally {
        await samsDevice.close();
      }
      expect(samsDevice.violations).toEqual([]);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers replayed client ids with the original event as it is now, or refuses a reuse for something else, and changes nothing',
    async () => {
      const otherConversation = (seed: Seed): ConversationName =>
        (Object.keys(MEMBERS) as ConversationName[]).find(
          (key) => key !== seed.conversation && MEMBERS[key].includes(seed.sender),
        )!;
      const outsider = (seed: Seed): Name =>
        (['alice', 'bob', 'carol'] as Name[]).find((name) => !MEMBERS[seed.conversation].includes(name))!;
      const otherMember = (seed: Seed): Name => MEMBERS[seed.conversation].find((name) => name !== seed.sender)!;
      type Expectation = { type: 'sent'; event: ConversationEvent } | { type: 'error'; code: ErrorCode; message: string };
      const duplicate = (seed: Seed): Expectation => ({ type: 'sent', event: stored.get(seed.clientId)! });
      const reused: Expectation = { type: 'error', ...REFUSALS.client_id_reused };
      const notFound: Expectation = { type: 'error', ...REFUSALS.conversation_not_found };
      const anyEnvelopeId = fc.oneof(fc.constantFrom(...envelopeClientIds), validId);

      const replay = fc.constantFrom(...seeds).chain((seed) => {
        const conversationId = conversations[seed.conversation];
        const changes: fc.Arbitrary<GroupChange> = fc.oneof(
          fc.constant({ kind: 'leave' as const }),
          fc.constant({ kind: 'remove_member' as const, userId: accounts[otherMember(seed)].user.id }),
          fc.record({ kind: fc.constant('add_members' as const), userIds: fc.array(anyone, { minLength: 1, maxLength: 2 }) }),
          fc.record({
            kind: fc.constant('set_role' as const),
            userId: anyone,
            role: fc.constantFrom('admin' as const, 'member' as const),
          }),
        );
        const variants: Array<fc.Arbitrary<[Name, FrameRequest, Expectation]>> = [
          // The same request again (a deleted envelope is answered deleted, as it is now).
          fc.constant([seed.sender, seed.frame, duplicate(seed)]),
          // The same id in another conversation of the sender's.
          fc.constant([seed.sender, { ...seed.frame, conversationId: conversations[otherConversation(seed)] }, reused]),
          // Someone who is not a member replays it.
          fc.constant([outsider(seed), seed.frame, notFound]),
          fc.constant(['mallory', seed.frame, notFound]),
          // Same id, same conversation, anything else in it (sealed content, files, what it deletes, the
          // devices version, even one that is not the current one): still the original.
          fc
            .record(
              {
                ciphertext: shortSealed,
                attachments: fc.array(anyUpload, { maxLength: 2 }),
                deletes: anyEnvelopeId,
                devicesVersion: validDevicesVersion,
              },
              { requiredKeys: ['ciphertext'] },
            )
            .map((rest) => [
              seed.sender,
              { type: 'send_envelope', conversationId, clientId: seed.clientId, ...rest },
              duplicate(seed),
            ]),
          // The envelope's id as a group change's id there.
          changes.map((change) => [
            seed.sender,
            { type: 'group_change', conversationId, clientChangeId: seed.clientId, change },
            reused,
          ]),
        ];
        return fc.oneof(...variants);
      });

      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(replay, validRid), { minLength: 1, maxLength: 10 }), async (attempts) => {
          await changesNothing(async () => {
            const byName = new Map<Name, Array<{ frame: ClientFrame; expected: Expectation }>>();
            for (const [[name, frame, expected], rid] of attempts) {
              const list = byName.get(name) ?? [];
              list.push({ frame: { ...frame, rid }, expected });
              byName.set(name, list);
            }
            await Promise.all(
              [...byName].map(async ([name, list]) => {
                const replies = await sendHostile(
                  await fuzzSocket(name),
                  list.map(({ frame }) => JSON.stringify(frame)),
                );
                expectOneReplyEach(replies, list);
                replies.forEach((reply, index) => {
                  const { frame, expected } = list[index]!;
                  expect(reply.frame, `${name} sent ${JSON.stringify(frame)}`).toEqual({ ...expected, rid: frame.rid });
                });
              }),
            );
          });
        }),
        fuzzParams(500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    "refuses an envelope deleting what is not the sender's to delete: another member's (not_author), one not in the conversation (no_such_message), one deleted already (already_deleted), and changes nothing",
    async () => {
      const used = new Set(stored.keys());
      type Attempt = { sender: Name; deletes: string; refusal: Refusal };
      const others = (sender: Name) => seeds.filter((seed) => seed.conversation === 'ab' && seed.sender !== sender);
      // Both members of alice and bob's conversation; m-a2 (alice's) was deleted while setting up.
      const attempt: fc.Arbitrary<Attempt> = fc.oneof(
        fc
          .constantFrom('alice' as const, 'bob' as const)
          .chain((sender) =>
            fc.constantFrom(...others(sender)).map((seed) => ({ sender, deletes: seed.clientId, refusal: REFUSALS.not_author })),
          ),
        fc.constant({ sender: 'alice' as const, deletes: 'm-a2', refusal: REFUSALS.already_deleted }),
        fc
          .tuple(
            fc.constantFrom('alice' as const, 'bob' as const),
            fc.oneof(
              // Envelopes of their other conversations, and of conversations they are not in.
              fc.constantFrom('m-a4', 'm-c1', 'm-b3', 'm-c2', 'm-d1'),
              validId.filter((id) => !used.has(id)),
            ),
          )
          .map(([sender, deletes]) => ({ sender, deletes, refusal: REFUSALS.no_such_message })),
      );
      const frame = fc
        .record({
          attempt,
          rid: validRid,
          clientId: validId.filter((id) => !used.has(id)),
          ciphertext: shortSealed,
          // Sealed for the devices now, or for others: what it deletes is judged first.
          devicesVersion: fc.oneof(fc.constant(undefined), validDevicesVersion),
        })
        .map(({ attempt: { sender, deletes, refusal }, devicesVersion, ...rest }) => ({
          sender,
          refusal,
          frame: {
            type: 'send_envelope' as const,
            conversationId: conversations.ab,
            deletes,
            devicesVersion: devicesVersion ?? versions.ab,
            ...rest,
          },
        }));
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (attempts) => {
          await changesNothing(async () => {
            for (const name of ['alice', 'bob'] as const) {
              const mine = attempts.filter((each) => each.sender === name);
              if (mine.length === 0) continue;
              const replies = await sendHostile(
                await fuzzSocket(name),
                mine.map((each) => JSON.stringify(each.frame)),
              );
              expectOneReplyEach(replies, mine);
              replies.forEach((reply, index) => {
                const { frame: sent, refusal } = mine[index]!;
                expectError(reply, sent.rid, refusal.code, refusal);
              });
            }
          });
        }),
        fuzzParams(200),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'refuses an envelope referring to anything but finished uploads of the sender (or files they may download) with attachment_missing, and changes nothing',
    async () => {
      const used = new Set(stored.keys());
      // Nobody's, bob's (sent nowhere: alice may not download it), and alice's own unfinished one.
      const missing = fc.oneof(
        fc.stringMatching(/^[0-9a-f]{32}$/),
        validId,
        fc.constantFrom(uploads.bobs, uploads.unfinished, uploads.daves),
      );
      const attachments = fc
        .tuple(missing, fc.array(fc.constant(uploads.alices), { maxLength: 2 }), fc.nat())
        .map(([bad, goods, at]) => goods.toSpliced(at % (goods.length + 1), 0, bad));
      const frame = fc
        .record({
          rid: validRid,
          conversation: fc.constantFrom('ab' as const, 'ac' as const),
          clientId: validId.filter((id) => !used.has(id)),
          ciphertext: shortSealed,
          attachments,
        })
        .map(({ conversation, ...rest }) => ({
          type: 'send_envelope' as const,
          conversationId: conversations[conversation],
          devicesVersion: versions[conversation],
          ...rest,
        }));
      await fc.assert(
        fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(
              await fuzzSocket('alice'),
              frames.map((f) => JSON.stringify(f)),
            );
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => {
              expectError(reply, frames[index]!.rid, REFUSALS.attachment_missing.code, REFUSALS.attachment_missing);
            });
          });
        }),
        fuzzParams(300),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'answers binary frames with bad_frame (no rid) and changes nothing',
    async () => {
      const binary = fc
        .oneof(
          fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
          anyOf(aliceFrames).map((frame) => Buffer.from(JSON.stringify(frame))),
          arbitraryText.map((text) => Buffer.from(text)),
        )
        .map((data): Outgoing => ({ data, binary: true }));
      await fc.assert(
        fc.asyncProperty(senders, fc.array(binary, { minLength: 1, maxLength: 6 }), async (name, frames) => {
          await changesNothing(async () => {
            const replies = await sendHostile(await fuzzSocket(name), frames);
            expectOneReplyEach(replies, frames);
            replies.forEach((reply, index) => {
              expectBadFrame(reply, frames[index]!);
              expect((reply.frame as { message: string }).message).toMatch(/binary/i);
            });
          });
        }),
        fuzzParams(150),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    `closes the socket with 1009 for a frame over ${LIMITS.maxFrameBytes} bytes (and only then), without answering it, and changes nothing`,
    async () => {
      // Sizes around the limit are counted in bytes: multi-byte characters must not slip through.
      const sized = fc.record({
        overBy: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 4, max: 200_000 })),
        fill: fc.constantFrom('x', 'é', '€', '👍'),
        shape: fc.constantFrom('ping', 'send_envelope', 'junk', 'binary'),
      });
      await fc.assert(
        fc.asyncProperty(senders, sized, async (name, { overBy, fill, shape }) => {
          await changesNothing(async () => {
            const bytes = LIMITS.maxFrameBytes + overBy;
            const socket = await fuzzSocket(name);
            const frame = frameOfSize(bytes, fill, shape, conversations.ab);
            const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.data.length;
            expect(size).toBe(bytes);
            if (bytes <= LIMITS.maxFrameBytes) {
              const [reply] = await sendHostile(socket, [frame]);
              if (shape === 'ping') expect(reply!.frame).toEqual({ type: 'ok', rid: 'big' });
              else expect(reply!.frame).toMatchObject({ type: 'error', code: 'bad_frame' });
              return;
            }
            const { close, replies } = await sendHostileUntilClosed(socket, frame);
            expect(close.code).toBe(1009);
            expect(replies).toEqual([]);
          });
        }),
        fuzzParams(30),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'closes the socket with 1007 for a text frame that is not UTF-8 (RFC 6455 §8.1), and changes nothing',
    async () => {
      const invalidUtf8 = fc.constantFrom(
        [0xff],
        [0xc3, 0x28],
        [0xc0, 0xaf], // overlong "/"
        [0xed, 0xa0, 0x80], // a UTF-16 surrogate encoded as if it were a character
        [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
        [0xe2, 0x82], // cut short
      );
      await fc.assert(
        fc.asyncProperty(senders, invalidUtf8, fc.boolean(), async (name, bad, insideJson) => {
          await changesNothing(async () => {
            const socket = await fuzzSocket(name);
            const data = insideJson
              ? Buffer.concat([Buffer.from('{"type":"ping","rid":"'), Buffer.from(bad), Buffer.from('"}')])
              : Buffer.from(bad);
            const { close, replies } = await sendHostileUntilClosed(socket, { data, binary: false });
            expect(close.code).toBe(1007);
            expect(replies).toEqual([]);
          });
        }),
        fuzzParams(12),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'stores hostile-but-valid ids and sealed content exactly as it acknowledged them: pushes, catch-up and resends agree, deletes included',
    async () => {
      // dave and erin have a conversation of their own: this property changes state, the others must not see it.
      const conversationId = conversations.de;
      const devicesVersion = await devicesVersionOf(anchors.dave, conversationId);
      /** Dave's envelopes there not deleted yet, oldest first. */
      const standing: string[] = ['m-d1'];
      let counter = 0;
      type Step = { suffix: string; ciphertext: string; file: boolean; deletes: boolean };
      const step: fc.Arbitrary<Step> = fc.record({
        suffix: junkString({ maxLength: 6 }),
        ciphertext: fc.oneof({ weight: 8, arbitrary: shortSealed }, { weight: 1, arbitrary: longestSealed }),
        file: fc.boolean(),
        deletes: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(step, fc.nat()), { minLength: 1, maxLength: 4 }), async (steps) => {
          const dave = await fuzzSocket('dave');
          const erin = await fuzzSocket('erin');
          const frames: Array<Extract<ClientFrame, { type: 'send_envelope' }>> = [];
          for (const [s, pick] of steps) {
            const rid = `r${++counter}`;
            const deletes = s.deletes && standing.length > 0 ? standing[pick % standing.length] : undefined;
            const frame: Extract<ClientFrame, { type: 'send_envelope' }> = {
              type: 'send_envelope',
              rid,
              conversationId,
              clientId: `f${counter}-${s.suffix}`,
              ciphertext: s.ciphertext,
              devicesVersion,
              ...(s.file ? { attachments: [uploads.daves] } : {}),
              ...(deletes ? { deletes } : {}),
            };
            // Junk that the protocol refuses (too long, lone surrogates) is the other properties' business.
            if (!clientFrameSchema.safeParse(frame).success) continue;
            frames.push(frame);
            standing.push(frame.clientId);
            if (deletes) standing.splice(standing.indexOf(deletes), 1);
          }
          fc.pre(frames.length > 0);
          const erinPushesBefore = erin.pushes.length;
          const replies = await sendHostile(
            dave,
            frames.map((frame) => JSON.stringify(frame)),
          );
          expectOneReplyEach(replies, frames);
          const events = replies.map((reply, index) => {
            const frame = frames[index]!;
            expect(reply.frame.type, `${JSON.stringify(frame).slice(0, 400)} → ${reply.raw.slice(0, 400)}`).toBe('sent');
            const event = (reply.frame as Extract<ServerFrame, { type: 'sent' }>).event as EnvelopeEvent;
            // The acknowledgement carries exactly what was sent.
            expect(event).toMatchObject({
              kind: 'envelope',
              conversationId,
              senderId: accounts.dave.user.id,
              clientId: frame.clientId,
              ciphertext: frame.ciphertext,
              attachments: frame.attachments ?? [],
              deleted: false,
            });
            return event;
          });
          // The other member is pushed the same events…
          await erin.waitForPushes((frame) => frame.type === 'event', events.length, erinPushesBefore);
          const pushed = erin.pushes
            .slice(erinPushesBefore)
            .filter((p) => p.frame.type === 'event')
            .map((p) => (p.frame as { event: ConversationEvent }).event);
          expect(pushed).toEqual(events);
          // …catch-up serves them as they are now (what a later one deleted has lost its sealed content
          // and files), whole or in parts…
          const deleted = new Set(frames.flatMap((frame) => (frame.deletes ? [frame.deletes] : [])));
          const now = events.map((event) =>
            deleted.has(event.clientId)
              ? { ...event, ciphertext: '', attachments: [], deleted: true, senderRole: undefined }
              : event,
          );
          const afterSeq = events[0]!.seq - 1;
          const [page] = await erin.exchange([
            JSON.stringify({ type: 'catch_up', rid: 'page', conversationId, afterSeq, limit: events.length }),
          ]);
          expect((page!.frame as Extract<ServerFrame, { type: 'events' }>).events).toEqual(now);
          const inParts = await erin.exchange([
            JSON.stringify({ type: 'catch_up', rid: 'parts', conversationId, afterSeq, limit: events.length, inParts: true }),
          ]);
          expect(inParts.map((reply) => reply.frame.type)).toEqual([...inParts.slice(1).map(() => 'events_part'), 'events']);
          expect(
            inParts.flatMap((reply) => (reply.frame as Extract<ServerFrame, { type: 'events' | 'events_part' }>).events),
          ).toEqual(now);
          // …and a resend is answered with the very same event, as it is now.
          const resent = await sendHostile(
            dave,
            frames.map((frame) => JSON.stringify({ ...frame, rid: `again-${frame.rid}` })),
          );
          expect(resent.map((reply) => (reply.frame as Extract<ServerFrame, { type: 'sent' }>).event)).toEqual(now);
          expect(server.logged).toEqual([]);
        }),
        fuzzParams(250),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

/** A frame of exactly `bytes` bytes: a padded ping (valid), a padded envelope (its sealed content too long, and no base64), junk, or binary. */
function frameOfSize(bytes: number, fill: string, shape: string, conversationId: string): Outgoing {
  const padded = (head: string, tail: string): string => {
    let room = bytes - Buffer.byteLength(head) - Buffer.byteLength(tail);
    const unit = Buffer.byteLength(fill);
    const body = fill.repeat(Math.floor(room / unit));
    room -= Buffer.byteLength(body);
    return head + body + 'x'.repeat(room) + tail;
  };
  switch (shape) {
    case 'ping':
      return padded('{"type":"ping","rid":"big","pad":"', '"}');
    case 'send_envelope':
      return padded(
        `{"type":"send_envelope","rid":"big","conversationId":"${conversationId}","clientId":"big","devicesVersion":1,"ciphertext":"`,
        '"}',
      );
    case 'junk':
      return padded('{"type":', '');
    default:
      return { data: Buffer.from(padded('', '')), binary: true };
  }
}
