/**
 * The authorization matrix: every operation a non-member attempts on a conversation (direct or
 * group) is refused with exactly the reply a conversation that does not exist gets (byte for byte),
 * stores nothing and reaches no member; and the stranger cannot learn of the conversation any other
 * way (the conversation list, presence, starting a conversation with one of its members). Only the
 * sender may delete an envelope for everyone. Whoever someone blocked cannot reach them with
 * envelopes nor add them to groups. Personal settings are only your own: a setting about a
 * conversation you were never in is refused like one about a conversation that does not exist, and
 * nobody else reads or hears of them.
 *
 * In a group, every role (non-member, former member, member, admin, owner) × every operation gets
 * exactly what sync/protocol/rules.ts says (see 'authorization: every role in a group'). What an
 * envelope says (an edit, a reaction, a pin, a rename) is sealed: its rules are the receiving
 * devices' (sync/content/rules.ts), and the server stores any member's envelope alike.
 *
 * The matrices are built from the protocol schema: a new conversation-scoped frame type (or a new
 * group change, conversation or receipt kind) without a row here fails the first tests.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import {
  clientFrameSchema,
  type ClientFrame,
  type ConversationEvent,
  type ErrorCode,
  type ServerFrame,
} from '../../../sync/protocol/frames.js';
import type { RefusalReason } from '../../../sync/protocol/refusal-reasons.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { block } from '../../support/blocking.js';
import { RawSocket } from '../../support/raw-socket.js';
import {
  createGroup,
  createServerHarness,
  envelopesIn,
  groupChange,
  listedConversation,
  newGroupId,
  pushesAbout,
  testSealed,
  type ServerHarness,
  type TestAccount,
  type TestClient,
  type FrameRequest,
  type TestServer,
} from '../../support/server-harness.js';
import { describeEachStore, type AsyncSnapshotReader, type StoreBackend } from '../../support/store-backends.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { sealedSetting } from '../../support/sealed-setting.js';
import { testFile, uploadFile } from '../server/attachment-support.js';
import { fuzzParams, validFrames, validId } from './hostile-input.js';

// Set up afresh for each store backend (see setUp).
let h: ServerHarness;
let server: TestServer;
let db: AsyncSnapshotReader;
let alice: TestAccount;
let bob: TestAccount;
let mallory: TestAccount;
let trudy: TestAccount;
let aliceSocket: TestClient;
let bobSocket: TestClient;
/** mallory shares no conversation with anyone; trudy has one with alice (so she is alice's contact). */
let strangerSocket: RawSocket;
let contactSocket: RawSocket;
/** alice and bob's conversation: the one the stranger must learn nothing about. */
let secret: string;
/** A file alice sent there (its members may download it), and the sealed content of the envelopes there and in the club. */
let secretUpload: string;
let sealedSecrets: string[];
/** A group the stranger and the contact must learn nothing about either: olive owns it, adam is an admin, mia a member. */
let club: string;
let olive: TestAccount;
let adam: TestAccount;
let mia: TestAccount;
let oliveSocket: TestClient;
let adamSocket: TestClient;
let miaSocket: TestClient;
/** Where non-members aim their probes: a direct conversation and a group. */
const TARGETS = { 'a direct conversation': () => secret, 'a group': () => club };

/** A frame without its rid, aimed at `conversationId`. */
type Probe = (conversationId: string) => Omit<ClientFrame, 'rid'>;

/**
 * One row per conversation-scoped frame type, group change kind and receipt kind that acts in an
 * existing conversation; each row holds probes aimed at what exists in the secret conversation
 * (alice's envelopes "a1" and "a-file", bob's "b1", alice's upload) and at its members.
 */
const MATRIX: Record<string, Probe[]> = {
  send_envelope: [
    (conversationId) => ({ type: 'send_envelope', conversationId, clientId: 'probe-envelope', ciphertext: 'AAAA' }),
    // Naming a devices version tells an outsider no more: the members' devices go only to members.
    (conversationId) => ({
      type: 'send_envelope',
      conversationId,
      clientId: 'probe-sealed',
      ciphertext: 'AAAA',
      devicesVersion: 1,
    }),
    // alice's own client id: hers to resend, nobody else's.
    (conversationId) => ({ type: 'send_envelope', conversationId, clientId: 'a1', ciphertext: 'AAAA', devicesVersion: 1 }),
    // Deleting bob's envelope for everyone.
    (conversationId) => ({
      type: 'send_envelope',
      conversationId,
      clientId: 'probe-delete',
      ciphertext: 'AAAA',
      deletes: 'b1',
      devicesVersion: 1,
    }),
    // Referring to the file alice sent there, which its members may download.
    (conversationId) => ({
      type: 'send_envelope',
      conversationId,
      clientId: 'probe-file',
      ciphertext: 'AAAA',
      attachments: [secretUpload],
      devicesVersion: 1,
    }),
  ],
  // The members' devices go only to members.
  fetch_conversation_devices: [(conversationId) => ({ type: 'fetch_conversation_devices', conversationId })],
  catch_up: [
    (conversationId) => ({ type: 'catch_up', conversationId, afterSeq: 0 }),
    (conversationId) => ({ type: 'catch_up', conversationId, afterSeq: 1, limit: 1 }),
    (conversationId) => ({ type: 'catch_up', conversationId, afterSeq: 0, inParts: true }),
    (conversationId) => ({ type: 'catch_up', conversationId, afterSeq: 1_000_000 }),
  ],
  'receipt/delivered': [(conversationId) => ({ type: 'receipt', conversationId, kind: 'delivered', seq: 2 })],
  'receipt/read': [(conversationId) => ({ type: 'receipt', conversationId, kind: 'read', seq: 1_000 })],
  typing: [(conversationId) => ({ type: 'typing', conversationId })],
  // Real people, so a refusal can never be about an unknown user: the stranger adding themselves, the contact adding a member.
  'group_change/add_members': [
    (conversationId) => ({
      type: 'group_change',
      conversationId,
      clientChangeId: 'probe-add-me',
      change: { kind: 'add_members', userIds: [mallory.user.id] },
    }),
    (conversationId) => ({
      type: 'group_change',
      conversationId,
      clientChangeId: 'probe-add',
      change: { kind: 'add_members', userIds: [trudy.user.id, bob.user.id] },
    }),
  ],
  'group_change/remove_member': [
    (conversationId) => ({
      type: 'group_change',
      conversationId,
      clientChangeId: 'probe-remove',
      change: { kind: 'remove_member', userId: bob.user.id },
    }),
    (conversationId) => ({
      type: 'group_change',
      conversationId,
      clientChangeId: 'probe-remove-owner',
      change: { kind: 'remove_member', userId: olive.user.id },
    }),
  ],
  'group_change/leave': [
    (conversationId) => ({ type: 'group_change', conversationId, clientChangeId: 'probe-leave', change: { kind: 'leave' } }),
  ],
  'group_change/set_role': [
    (conversationId) => ({
      type: 'group_change',
      conversationId,
      clientChangeId: 'probe-role',
      change: { kind: 'set_role', userId: mia.user.id, role: 'admin' },
    }),
    (conversationId) => ({
      type: 'group_change',
      conversationId,
      clientChangeId: 'probe-role-2',
      change: { kind: 'set_role', userId: adam.user.id, role: 'member' },
    }),
  ],
};

/**
 * The rows for frames that name a conversation to create: reusing the id of one you are not in is
 * answered for the id (taken, or not the pair's), never with anything about the conversation.
 */
const CREATE_PROBES: Record<string, Probe[]> = {
  'create_conversation/group': [
    (conversationId) => ({ type: 'create_conversation', conversationId, conversation: { kind: 'group', memberIds: [] } }),
  ],
  'create_conversation/direct': [
    (conversationId) => ({ type: 'create_conversation', conversationId, conversation: { kind: 'direct', userId: bob.user.id } }),
    (conversationId) => ({
      type: 'create_conversation',
      conversationId,
      conversation: { kind: 'direct', userId: olive.user.id },
    }),
  ],
};

/**
 * The rows the matrix must have, read from the schema: every client frame type with a
 * conversationId, split by any enum or discriminated union among its fields (change kinds,
 * receipt kinds).
 */
function requiredRows(): string[] {
  return clientFrameSchema.options
    .filter((option) => 'conversationId' in option.shape)
    .flatMap((option) => {
      const type = option.shape.type.value;
      const splits = Object.values(option.shape as Record<string, unknown>).flatMap((field): string[] => {
        if (field instanceof z.ZodEnum) return field.options.map(String);
        if (field instanceof z.ZodDiscriminatedUnion) {
          const key = (field._zod.def as { discriminator: string }).discriminator;
          return field.options.map((member) => String(((member as z.ZodObject).shape[key] as z.ZodLiteral).value));
        }
        return [];
      });
      return splits.length > 0 ? splits.map((split) => `${type}/${split}`) : [type];
    });
}

/**
 * Stores an envelope sealing `text` through a raw socket, sealed for the conversation's devices
 * now (which a member's socket asks for first, as a client does before its first seal there).
 */
async function rawEnvelope(socket: RawSocket, conversationId: string, clientId: string, text: string): Promise<void> {
  const [devices] = await socket.exchange([
    JSON.stringify({ type: 'fetch_conversation_devices', rid: `devices-${clientId}`, conversationId }),
  ]);
  const { version } = (devices!.frame as Extract<ServerFrame, { type: 'conversation_devices' }>).devices;
  const frame = {
    type: 'send_envelope',
    rid: clientId,
    conversationId,
    clientId,
    ciphertext: testSealed(text),
    devicesVersion: version,
  };
  const [reply] = await socket.exchange([JSON.stringify(frame)]);
  expect(reply!.frame.type, reply!.raw).toBe('sent');
}

async function setUp(backend: StoreBackend): Promise<void> {
  h = createServerHarness({ backend });
  server = await h.startServer();
  alice = await h.createAccount(server, { username: `alice-${process.pid}` });
  bob = await h.createAccount(server, { username: `bob-${process.pid}` });
  mallory = await h.createAccount(server, { username: `mallory-${process.pid}` });
  trudy = await h.createAccount(server, { username: `trudy-${process.pid}` });
  aliceSocket = await h.connect(server, alice.token);
  bobSocket = await h.connect(server, bob.token);
  const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
  secret = conversation.id;
  await bobSocket.waitForPush('conversation_added');
  secretUpload = await uploadFile(server.httpUrl, alice.token, await testFile(await h.tempDir(), 300));
  await aliceSocket.send(secret, 'a1', 'the secret plan');
  await bobSocket.send(secret, 'b1', 'count me in');
  await aliceSocket.send(secret, 'a-file', 'the map', { attachments: [secretUpload] });
  await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
  strangerSocket = await RawSocket.connect(server.url, mallory.token);
  contactSocket = await RawSocket.connect(server.url, trudy.token);
  await contactSocket.exchange([JSON.stringify({ type: 'start_conversation', rid: 'start', username: alice.user.username })]);
  const withTrudy = (await aliceSocket.waitForPush('conversation_added')).conversation.id;
  // A contact: both have written in a conversation they share, so each sees the other's presence.
  await rawEnvelope(contactSocket, withTrudy, 't-hello', 'hello');
  await aliceSocket.send(withTrudy, 'a-hello', 'hi trudy');
  await aliceSocket.waitForPush('presence', (push) => push.userId === trudy.user.id);
  await Promise.all([aliceSocket.barrier(), bobSocket.barrier(), contactSocket.barrier()]);

  olive = await h.createAccount(server, { username: `olive-${process.pid}` });
  adam = await h.createAccount(server, { username: `adam-${process.pid}` });
  mia = await h.createAccount(server, { username: `mia-${process.pid}` });
  oliveSocket = await h.connect(server, olive.token);
  adamSocket = await h.connect(server, adam.token);
  miaSocket = await h.connect(server, mia.token);
  club = (await createGroup(oliveSocket, { memberIds: [adam.user.id, mia.user.id] })).id;
  await groupChange(oliveSocket, club, 'o-admin-adam', { kind: 'set_role', userId: adam.user.id, role: 'admin' });
  await oliveSocket.send(club, 'o1', 'the club plan');
  await miaSocket.send(club, 'mi1', 'count the club in');
  await Promise.all([oliveSocket.barrier(), adamSocket.barrier(), miaSocket.barrier()]);
  sealedSecrets = [...envelopesIn(await aliceSocket.allEvents(secret)), ...envelopesIn(await oliveSocket.allEvents(club))].map(
    (envelope) => envelope.ciphertext,
  );
  db = await server.database!.openSnapshotReader();
}

async function tearDown(): Promise<void> {
  await db?.close();
  const violations = [...(strangerSocket?.violations ?? []), ...(contactSocket?.violations ?? [])];
  await strangerSocket?.close();
  await contactSocket?.close();
  await h.cleanup();
  expect(violations).toEqual([]);
}

/** Runs `body`; afterwards the database is unchanged and no member socket was pushed anything. */
async function changesNothing(body: () => Promise<void>): Promise<void> {
  const members = { alice: aliceSocket, bob: bobSocket, olive: oliveSocket, adam: adamSocket, mia: miaSocket };
  const before = await db.snapshot();
  const pushes = Object.values(members).map((socket) => socket.pushes.length);
  await body();
  await Promise.all([
    ...Object.values(members).map((socket) => socket.barrier()),
    strangerSocket.barrier(),
    contactSocket.barrier(),
  ]);
  Object.entries(members).forEach(([name, socket], index) =>
    expect(socket.pushes.slice(pushes[index]), `pushed to ${name}`).toEqual([]),
  );
  expect(await db.snapshot()).toEqual(before);
  expect(server.logged).toEqual([]);
}

/**
 * bob's last socket closes and a new one opens: two presence transitions. Returns once alice (his
 * contact) has been told both, so anything sent to anyone else about them has been sent too.
 */
async function bobComesAndGoes(): Promise<void> {
  const aboutBob = () => aliceSocket.pushesOf('presence').filter((push) => push.userId === bob.user.id).length;
  const before = aboutBob();
  await bobSocket.close();
  await aliceSocket.waitForPush('presence', () => aboutBob() >= before + 1);
  bobSocket = await h.connect(server, bob.token);
  await aliceSocket.waitForPush('presence', () => aboutBob() >= before + 2);
}

/** What a non-member hears for `frame` aimed at `target` and at a conversation that does not exist. */
async function bothReplies(
  socket: RawSocket,
  frame: Omit<ClientFrame, 'rid' | 'conversationId'>,
  rid: string,
  target: string,
  nowhere: string,
) {
  const [real, missing] = await socket.exchange([
    JSON.stringify({ ...frame, rid, conversationId: target }),
    JSON.stringify({ ...frame, rid, conversationId: nowhere }),
  ]);
  return { real: real!, missing: missing! };
}

describeEachStore('authorization: a stranger and a conversation', (backend) => {
  beforeAll(() => setUp(backend));
  afterAll(tearDown);

  it('has a matrix row for every conversation-scoped frame type and kind in the schema', () => {
    expect([...Object.keys(MATRIX), ...Object.keys(CREATE_PROBES)].sort()).toEqual(requiredRows().sort());
    for (const probes of [...Object.values(MATRIX), ...Object.values(CREATE_PROBES)]) expect(probes.length).toBeGreaterThan(0);
    // Every probe is a valid frame: a refusal is about membership, never about shape.
    for (const probe of [...Object.values(MATRIX), ...Object.values(CREATE_PROBES)].flat()) {
      for (const target of [secret, club]) expect(clientFrameSchema.safeParse({ ...probe(target), rid: 'r' }).success).toBe(true);
    }
  });

  const nonMembers = { 'a stranger': () => strangerSocket, "a member's contact": () => contactSocket };
  const cases = Object.keys(MATRIX).flatMap((row) =>
    Object.keys(nonMembers).flatMap((who) => Object.keys(TARGETS).map((target) => [row, who, target] as const)),
  );
  it.each(cases)(
    '%s by %s in %s: not_found, byte for byte as for a conversation that does not exist',
    async (row, who, targetName) => {
      const socket = nonMembers[who as keyof typeof nonMembers]();
      const target = TARGETS[targetName as keyof typeof TARGETS]();
      await changesNothing(async () => {
        for (const [index, probe] of MATRIX[row]!.entries()) {
          const rid = `${row}-${index}`;
          const { real, missing } = await bothReplies(socket, probe(target), rid, target, '00000000-0000-4000-8000-000000000000');
          expect(real.frame).toEqual({ type: 'error', rid, ...REFUSALS.conversation_not_found });
          expect(real.raw).toBe(missing.raw);
          expect(real.raw).not.toContain(target);
        }
      });
    },
  );

  it.each(Object.keys(nonMembers))(
    'create_conversation reusing the id of a conversation by %s: refused for the id alone, changing nothing',
    async (who) => {
      const socket = nonMembers[who as keyof typeof nonMembers]();
      await changesNothing(async () => {
        const replies = await socket.exchange([
          // The group's id, as a group: taken.
          JSON.stringify({ ...CREATE_PROBES['create_conversation/group']![0]!(club), rid: 'take-group' }),
          // The group's id, or alice and bob's, as a direct conversation: not the id of the pair asked for.
          ...CREATE_PROBES['create_conversation/direct']!.flatMap((probe, index) => [
            JSON.stringify({ ...probe(club), rid: `direct-club-${index}` }),
            JSON.stringify({ ...probe(secret), rid: `direct-secret-${index}` }),
          ]),
          // alice and bob's id, as a group: shaped like a direct id.
          JSON.stringify({ ...CREATE_PROBES['create_conversation/group']![0]!(secret), rid: 'take-direct' }),
        ]);
        expect(replies.map((reply) => reply.frame)).toEqual([
          { type: 'error', rid: 'take-group', ...REFUSALS.conversation_id_taken },
          { type: 'error', rid: 'direct-club-0', ...REFUSALS.bad_conversation_id },
          { type: 'error', rid: 'direct-secret-0', ...REFUSALS.bad_conversation_id },
          { type: 'error', rid: 'direct-club-1', ...REFUSALS.bad_conversation_id },
          { type: 'error', rid: 'direct-secret-1', ...REFUSALS.bad_conversation_id },
          { type: 'error', rid: 'take-direct', ...REFUSALS.bad_conversation_id },
        ]);
        for (const reply of replies) for (const sealed of sealedSecrets) expect(reply.raw).not.toContain(sealed);
      });
    },
  );

  it('refuses random valid conversation frames from non-members exactly as for unknown conversations', async () => {
    const targets = fc.constantFrom(secret, club);
    const people = [alice, bob, mallory, trudy, olive, adam, mia].map((account) => account.user.id);
    const frames = validFrames({
      conversationIds: targets,
      envelopeIds: fc.oneof(fc.constantFrom('a1', 'b1', 'a-file', 'o1', 'mi1', 'nothing'), validId),
      uploadIds: fc.oneof(fc.constant(secretUpload), validId),
      userIds: fc.oneof(fc.constantFrom(...people), validId),
      usernames: fc.constant('unused'),
    });
    const scoped = fc.oneof(...Object.keys(MATRIX).map((row) => frames[row]!));
    const known = new Set([secret, club, directConversationId(trudy.user.id, alice.user.id)]);
    const nowhere = validId.filter((id) => !known.has(id));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('stranger', 'contact'), scoped, nowhere, async (who, frame, missingId) => {
        await changesNothing(async () => {
          const target = (frame as { conversationId: string }).conversationId;
          const { real, missing } = await bothReplies(
            who === 'stranger' ? strangerSocket : contactSocket,
            frame,
            frame.rid,
            target,
            missingId,
          );
          expect(real.frame).toEqual({ type: 'error', rid: frame.rid, ...REFUSALS.conversation_not_found });
          expect(real.raw).toBe(missing.raw);
        });
      }),
      fuzzParams(300),
    );
  });

  it('lets only the sender delete an envelope for everyone: another member naming it is forbidden, whatever its state', async () => {
    await aliceSocket.send(secret, 'a-gone', 'to be deleted');
    await aliceSocket.send(secret, 'a-delete', 'never mind', { deletes: 'a-gone' });
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    const used = ['a1', 'b1', 'a-file', 'a-gone', 'a-delete'];
    const attempt = fc.record({
      deletes: fc.constantFrom('a1', 'a-file', 'a-gone', 'a-delete'),
      clientId: validId.filter((id) => !used.includes(id)),
      text: fc.string({ maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(attempt, async ({ deletes, clientId, text }) => {
        await changesNothing(async () => {
          const reply = await bobSocket.sendEnvelope(secret, clientId, text, { deletes });
          expect(reply).toMatchObject({ type: 'error', ...REFUSALS.not_author });
        });
      }),
      fuzzParams(100),
    );
  });

  it('cannot learn of the conversation from the conversation list, presence or starting a conversation with a member', async () => {
    const secrets = [
      secret,
      bob.user.id,
      bob.user.username,
      secretUpload,
      club,
      mia.user.id,
      adam.user.id,
      olive.user.id,
      ...sealedSecrets,
    ];
    const heard = () => strangerSocket.received.map((frame) => frame.raw).join('\n');
    await changesNothing(async () => {
      const [list] = await strangerSocket.exchange([JSON.stringify({ type: 'list_conversations', rid: 'list' })]);
      expect(list!.frame).toEqual({ type: 'conversations', rid: 'list', conversations: [] });
    });
    // No contacts: the stranger was told nobody's presence, and is not told when members come and go.
    await bobComesAndGoes();
    await strangerSocket.barrier();
    expect(strangerSocket.pushes.map((push) => push.frame.type)).toEqual(['welcome']);

    // Starting a conversation with alice, and both writing in it, makes the stranger her contact, and nothing more.
    const [started] = await strangerSocket.exchange([
      JSON.stringify({ type: 'start_conversation', rid: 'start', username: alice.user.username }),
    ]);
    const conversation = (started!.frame as Extract<ServerFrame, { type: 'conversation' }>).conversation;
    expect(conversation.id).not.toBe(secret);
    expect(conversation.members.map((member) => member.id)).toEqual([mallory.user.id, alice.user.id]);
    expect(conversation.lastSeq).toBe(0);
    await rawEnvelope(strangerSocket, conversation.id, 'm-hi', 'hi alice');
    await aliceSocket.send(conversation.id, 'a-to-m', 'who is this?');
    await aliceSocket.waitForPush('presence', (push) => push.userId === mallory.user.id);
    await strangerSocket.waitForPushes((frame) => frame.type === 'presence', 1);
    const [after] = await strangerSocket.exchange([JSON.stringify({ type: 'list_conversations', rid: 'after' })]);
    expect((after!.frame as Extract<ServerFrame, { type: 'conversations' }>).conversations.map((c) => c.id)).toEqual([
      conversation.id,
    ]);

    // bob goes offline and comes back: alice hears it, the stranger (alice's contact, not bob's) does not.
    await bobComesAndGoes();
    await Promise.all([strangerSocket.barrier(), bobSocket.barrier(), aliceSocket.barrier()]);

    const heardNow = heard();
    for (const value of secrets) expect(heardNow, `the stranger heard ${value}`).not.toContain(value);
    // Nor did alice's other contact, who saw bob come and go twice.
    await contactSocket.barrier();
    const contactHeard = contactSocket.received.map((frame) => frame.raw).join('\n');
    for (const value of secrets) expect(contactHeard, `alice's contact heard ${value}`).not.toContain(value);
    expect(strangerSocket.pushes.filter((push) => push.frame.type === 'presence').map((push) => push.frame)).toEqual([
      expect.objectContaining({ type: 'presence', userId: alice.user.id }),
    ]);
    // bob was told nothing about the stranger, on any of his sockets.
    expect(JSON.stringify(bobSocket.pushes)).not.toContain(mallory.user.id);
    // alice and bob still share exactly their conversation, unchanged.
    const { conversations } = await bobSocket.call({ type: 'list_conversations' }, 'conversations');
    expect(conversations.map((c) => [c.id, c.members.map((member) => member.id)])).toEqual([
      [secret, [alice.user.id, bob.user.id]],
    ]);
  });

  it('refuses for membership, not for shape: the same probes by a member are accepted (group changes: not_a_group)', async () => {
    await aliceSocket.send(secret, 'member-delete-me', 'short-lived');
    for (const [row, probes] of Object.entries(MATRIX)) {
      for (const [index, probe] of probes.entries()) {
        if (row.startsWith('group_change/')) {
          // Past the membership check, a direct conversation has no members to manage.
          const reply = await aliceSocket.request({ ...probe(secret), rid: `member-${row}-${index}` } as ClientFrame);
          expect(reply, row).toEqual({ type: 'error', rid: `member-${row}-${index}`, ...REFUSALS.not_a_group });
          continue;
        }
        const frame = { ...probe(secret), rid: `member-${row}-${index}` } as ClientFrame;
        if (frame.type === 'send_envelope') {
          // A member's envelope is sealed for the devices now (without, the refusal carries them: members only).
          frame.devicesVersion = await devicesVersionOf(aliceSocket, secret);
          // alice may not delete bob's: aim that at her own (her own id, a1, is answered as the resend it is).
          if (frame.deletes !== undefined) frame.deletes = 'member-delete-me';
        }
        const reply = await aliceSocket.request(frame);
        expect(reply.type, `${row}: ${JSON.stringify(reply)}`).not.toBe('error');
      }
    }
  });

  it('settings are only your own: a setting about a conversation you were never in is refused byte for byte as for one that does not exist', async () => {
    const nowhere = '00000000-0000-4000-8000-000000000000';
    // The one setting that names a conversation in the clear (the others go sealed, naming nothing).
    const registers = (conversationId: string) => [
      { setting: { kind: 'request', conversationId, value: { answer: 'accepted', seq: 1 } }, at: 1, by: 'probe' },
    ];
    for (const socket of [strangerSocket, contactSocket]) {
      await changesNothing(async () => {
        for (const target of [secret, club]) {
          for (const [index, register] of registers(target).entries()) {
            const rid = `settings-${index}`;
            const [real, missing] = await socket.exchange([
              JSON.stringify({ type: 'set_settings', rid, settings: [register] }),
              JSON.stringify({ type: 'set_settings', rid, settings: [registers(nowhere)[index]] }),
            ]);
            expect(real!.frame).toEqual({ type: 'error', rid, ...REFUSALS.conversation_not_found });
            expect(real!.raw).toBe(missing!.raw);
          }
          // One register about a conversation not theirs refuses the whole frame: nothing of it is stored.
          const [mixed] = await socket.exchange([
            JSON.stringify({
              type: 'set_settings',
              rid: 'mixed',
              settings: [
                { setting: { kind: 'blocked', userId: alice.user.id, value: false }, at: 1, by: 'probe' },
                registers(target)[0],
              ],
            }),
          ]);
          expect(mixed!.frame).toEqual({ type: 'error', rid: 'mixed', ...REFUSALS.conversation_not_found });
        }
      });
    }
  });

  it('a block names another person who exists: yourself or nobody is refused, changing nothing', async () => {
    await changesNothing(async () => {
      const [self, nobody] = await strangerSocket.exchange([
        JSON.stringify({
          type: 'set_settings',
          rid: 'self',
          settings: [{ setting: { kind: 'blocked', userId: mallory.user.id, value: true }, at: 1, by: 'd' }],
        }),
        JSON.stringify({
          type: 'set_settings',
          rid: 'nobody',
          settings: [{ setting: { kind: 'blocked', userId: 'no-such-person', value: true }, at: 1, by: 'd' }],
        }),
      ]);
      expect(self!.frame).toEqual({ type: 'error', rid: 'self', ...REFUSALS.cannot_block_yourself });
      expect(nobody!.frame).toEqual({ type: 'error', rid: 'nobody', ...REFUSALS.no_such_user });
    });
  });

  it("settings are never anyone else's to read or hear of: members list and hear only their own", async () => {
    const bobPushes = bobSocket.pushes.length;
    const muted = { setting: sealedSetting(`muted ${secret}`, 'true'), at: 10, by: 'alice-device' };
    const set = await aliceSocket.call({ type: 'set_settings', settings: [muted] }, 'settings');
    expect(set.settings).toEqual([{ ...muted, version: expect.any(Number) as unknown }]);
    await Promise.all([bobSocket.barrier(), aliceSocket.barrier()]);
    expect(bobSocket.pushes.slice(bobPushes)).toEqual([]);
    expect(JSON.stringify(bobSocket.pushes)).not.toContain('alice-device');
    expect(await bobSocket.call({ type: 'list_settings', afterVersion: 0 }, 'settings')).toMatchObject({
      settings: [],
      hasMore: false,
    });
    const [strangerList] = await strangerSocket.exchange([
      JSON.stringify({ type: 'list_settings', rid: 'mine', afterVersion: 0 }),
    ]);
    expect(strangerList!.frame).toEqual({ type: 'settings', rid: 'mine', settings: [], hasMore: false });
    expect((await aliceSocket.call({ type: 'list_settings', afterVersion: 0 }, 'settings')).settings).toEqual(set.settings);
  });

  it('whoever blocked someone gets none of their envelopes, live or in catch-up, in a direct conversation or a group, and cannot be added to groups by them', async () => {
    const [kay, ben, zoe] = [
      await h.createAccount(server, { username: `kay-${process.pid}` }),
      await h.createAccount(server, { username: `ben-${process.pid}` }),
      await h.createAccount(server, { username: `zoe-${process.pid}` }),
    ];
    const [kaySocket, benSocket, zoeSocket] = [
      await h.connect(server, kay.token),
      await h.connect(server, ben.token),
      await h.connect(server, zoe.token),
    ];
    const { conversation: direct } = await benSocket.call(
      { type: 'start_conversation', username: kay.user.username },
      'conversation',
    );
    const group = await createGroup(zoeSocket, { memberIds: [kay.user.id, ben.user.id] });
    await kaySocket.waitForPush('conversation_added', (push) => push.conversation.id === group.id);
    await benSocket.waitForPush('conversation_added', (push) => push.conversation.id === group.id);
    await block(kaySocket, ben.user.id);
    const kayPushes = kaySocket.pushes.length;
    // Answered as any envelope (the blocked person is not told), and the others get it.
    await benSocket.send(direct.id, 'ben-1', 'let me in');
    const inGroup = await benSocket.send(group.id, 'ben-2', 'hello all');
    await zoeSocket.waitForPush('event', (push) => push.event.conversationId === group.id && push.event.seq === inGroup.seq);
    await kaySocket.barrier();
    for (const conversationId of [direct.id, group.id]) {
      expect(pushesAbout(kaySocket, conversationId, kayPushes)).toEqual([]);
      expect(envelopesIn(await kaySocket.allEvents(conversationId))).toEqual([]);
    }
    expect(envelopesIn(await zoeSocket.allEvents(group.id))).toEqual([inGroup]);
    // Nor can he bring her into a group: not a new one, not one of his.
    const refused = { type: 'error', ...REFUSALS.cannot_add_to_groups };
    const created = await benSocket.request({
      type: 'create_conversation',
      conversationId: newGroupId(),
      conversation: { kind: 'group', memberIds: [zoe.user.id, kay.user.id] },
    });
    expect(created).toMatchObject(refused);
    const own = await createGroup(benSocket, { memberIds: [zoe.user.id] });
    const added = await benSocket.request({
      type: 'group_change',
      conversationId: own.id,
      clientChangeId: 'ben-adds-kay',
      change: { kind: 'add_members', userIds: [kay.user.id] },
    });
    expect(added).toMatchObject(refused);
    await kaySocket.barrier();
    expect(kaySocket.pushes.slice(kayPushes).filter((push) => push.type === 'conversation_added')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Every role in a group × every operation

/** Who acts: outside the group all along, removed from it earlier, or in it with a role. */
const ACTORS = ['non-member', 'former member', 'member', 'admin', 'owner'] as const;
type Actor = (typeof ACTORS)[number];
type MemberActor = Extract<Actor, 'member' | 'admin' | 'owner'>;

/**
 * What an actor gets: a stored event of a kind (checked further by `check`), a plain reply, a
 * refusal with its reason, or exactly the reply for a conversation that does not exist.
 */
type Outcome =
  | { stored: ConversationEvent['kind']; check?: (event: ConversationEvent, cast: RoleCast) => void }
  | { reply: 'ok' | 'events' | 'conversation' | 'conversation_devices'; verify?: (reply: ServerFrame, cast: RoleCast) => void }
  | { refused: ErrorCode; reason: RefusalReason }
  | 'like-missing';

/** The people of one fresh group (see freshGroup); `actor` is whoever acts in the case at hand. */
interface RoleCast {
  id: string;
  tag: string;
  /** The group's devices version once set up (protocol/conversation-devices.ts): what an envelope is sealed for. */
  devicesVersion: number;
  actor: Actor;
  actorId: string;
  owner: string;
  admin: string;
  member: string;
  admin2: string;
  member2: string;
  outsider: string;
  /** The envelope of `who` in this group, by client id (the non-member has none: member2's stands in). */
  messageOf(who: 'actor' | 'member2'): string;
}

interface Variant {
  what: string;
  frame: (cast: RoleCast) => FrameRequest;
  /** For members; non-members and former members are answered like-missing unless `outsiders` says otherwise. */
  members: Record<MemberActor, Outcome>;
  outsiders?: Partial<Record<'non-member' | 'former member', Outcome>>;
}

const allMembers = (outcome: Outcome): Record<MemberActor, Outcome> => ({ member: outcome, admin: outcome, owner: outcome });
const managers = (outcome: Outcome): Record<MemberActor, Outcome> => ({
  owner: outcome,
  admin: outcome,
  member: { refused: 'forbidden', reason: 'not_allowed' },
});
const ownerOnly = (outcome: Outcome): Record<MemberActor, Outcome> => ({
  owner: outcome,
  admin: { refused: 'forbidden', reason: 'not_allowed' },
  member: { refused: 'forbidden', reason: 'not_allowed' },
});
const notAllowed: Outcome = { refused: 'forbidden', reason: 'not_allowed' };

const gc = (cast: RoleCast, change: Extract<ClientFrame, { type: 'group_change' }>['change']): FrameRequest => ({
  type: 'group_change',
  conversationId: cast.id,
  clientChangeId: `${cast.tag}-change`,
  change,
});

/** Rows as in requiredRows(); each with the variants that matter for roles. */
const ROLE_MATRIX: Record<string, Variant[]> = {
  send_envelope: [
    {
      what: 'an envelope',
      frame: (c) => ({
        type: 'send_envelope',
        conversationId: c.id,
        clientId: `${c.tag}-envelope`,
        ciphertext: 'AAAA',
        devicesVersion: c.devicesVersion,
      }),
      members: allMembers({ stored: 'envelope', check: (event, c) => expect(event).toMatchObject({ senderRole: c.actor }) }),
    },
    {
      what: 'sealed for other devices',
      frame: (c) => ({
        type: 'send_envelope',
        conversationId: c.id,
        clientId: `${c.tag}-stale`,
        ciphertext: 'AAAA',
        devicesVersion: c.devicesVersion + 1,
      }),
      members: allMembers({ refused: 'conflict', reason: 'conversation_devices_changed' }),
    },
    {
      what: 'deleting their own envelope for everyone',
      frame: (c) => ({
        type: 'send_envelope',
        conversationId: c.id,
        clientId: `${c.tag}-delete`,
        ciphertext: 'AAAA',
        deletes: c.messageOf('actor'),
        devicesVersion: c.devicesVersion,
      }),
      members: allMembers({ stored: 'envelope' }),
    },
    {
      what: "deleting another member's envelope for everyone (admins and owners too)",
      frame: (c) => ({
        type: 'send_envelope',
        conversationId: c.id,
        clientId: `${c.tag}-delete`,
        ciphertext: 'AAAA',
        deletes: c.messageOf('member2'),
        devicesVersion: c.devicesVersion,
      }),
      members: allMembers({ refused: 'forbidden', reason: 'not_author' }),
    },
  ],
  fetch_conversation_devices: [
    {
      what: 'the devices',
      frame: (c) => ({ type: 'fetch_conversation_devices', conversationId: c.id }),
      members: allMembers({ reply: 'conversation_devices' }),
    },
  ],
  'group_change/add_members': [
    {
      what: 'a new person',
      frame: (c) => gc(c, { kind: 'add_members', userIds: [c.outsider] }),
      members: managers({
        stored: 'members_added',
        check: (event, c) => expect(event).toMatchObject({ members: [{ id: c.outsider }] }),
      }),
    },
    {
      what: 'only people already in it',
      frame: (c) => gc(c, { kind: 'add_members', userIds: [c.member2, c.admin2] }),
      members: managers({ refused: 'invalid', reason: 'already_member' }),
    },
  ],
  'group_change/remove_member': [
    {
      what: 'a member',
      frame: (c) => gc(c, { kind: 'remove_member', userId: c.member2 }),
      members: managers({ stored: 'member_removed', check: (event, c) => expect(event).toMatchObject({ userId: c.member2 }) }),
    },
    {
      what: 'another admin',
      frame: (c) => gc(c, { kind: 'remove_member', userId: c.admin2 }),
      members: managers({ stored: 'member_removed', check: (event, c) => expect(event).toMatchObject({ userId: c.admin2 }) }),
    },
    {
      what: 'the owner',
      frame: (c) => gc(c, { kind: 'remove_member', userId: c.owner }),
      // The owner removing the owner is removing themselves.
      members: { owner: notAllowed, admin: { refused: 'forbidden', reason: 'cannot_remove_owner' }, member: notAllowed },
    },
    {
      what: 'themselves',
      frame: (c) => gc(c, { kind: 'remove_member', userId: c.actorId }),
      members: allMembers(notAllowed),
    },
    {
      what: 'someone not in the group',
      frame: (c) => gc(c, { kind: 'remove_member', userId: c.outsider }),
      members: managers({ refused: 'invalid', reason: 'not_a_member' }),
    },
  ],
  'group_change/leave': [
    {
      what: 'the group',
      frame: (c) => gc(c, { kind: 'leave' }),
      members: {
        // The earliest-joined admin takes over.
        owner: { stored: 'member_left', check: (event, c) => expect(event).toMatchObject({ newOwnerId: c.admin }) },
        admin: { stored: 'member_left', check: (event) => expect(event).toMatchObject({ newOwnerId: null }) },
        member: { stored: 'member_left', check: (event) => expect(event).toMatchObject({ newOwnerId: null }) },
      },
    },
  ],
  'group_change/set_role': [
    {
      what: 'making a member an admin',
      frame: (c) => gc(c, { kind: 'set_role', userId: c.member2, role: 'admin' }),
      members: ownerOnly({
        stored: 'role_changed',
        check: (event, c) => expect(event).toMatchObject({ userId: c.member2, role: 'admin' }),
      }),
    },
    {
      what: 'making an admin a member',
      frame: (c) => gc(c, { kind: 'set_role', userId: c.admin2, role: 'member' }),
      members: ownerOnly({
        stored: 'role_changed',
        check: (event, c) => expect(event).toMatchObject({ userId: c.admin2, role: 'member' }),
      }),
    },
    {
      what: 'the role someone has already',
      frame: (c) => gc(c, { kind: 'set_role', userId: c.member2, role: 'member' }),
      members: ownerOnly({ refused: 'invalid', reason: 'role_unchanged' }),
    },
    {
      what: 'of the owner',
      frame: (c) => gc(c, { kind: 'set_role', userId: c.owner, role: 'admin' }),
      members: allMembers(notAllowed),
    },
    {
      what: 'of someone not in the group',
      frame: (c) => gc(c, { kind: 'set_role', userId: c.outsider, role: 'admin' }),
      members: ownerOnly({ refused: 'invalid', reason: 'not_a_member' }),
    },
  ],
  typing: [
    { what: 'in the group', frame: (c) => ({ type: 'typing', conversationId: c.id }), members: allMembers({ reply: 'ok' }) },
  ],
  catch_up: [
    {
      what: 'from the start',
      frame: (c) => ({ type: 'catch_up', conversationId: c.id, afterSeq: 0 }),
      members: allMembers({
        reply: 'events',
        verify: (reply) =>
          expect((reply as Extract<ServerFrame, { type: 'events' }>).events.map((e) => e.seq)).toEqual(range(1, SETUP_SEQS)),
      }),
      outsiders: {
        // A former member reads their history up to their removal, and nothing after it.
        'former member': {
          reply: 'events',
          verify: (reply) =>
            expect((reply as Extract<ServerFrame, { type: 'events' }>).events.map((e) => e.seq)).toEqual(range(1, REMOVAL_SEQ)),
        },
      },
    },
  ],
  'receipt/delivered': [
    {
      what: 'up to the last event',
      frame: (c) => ({ type: 'receipt', conversationId: c.id, kind: 'delivered', seq: SETUP_SEQS }),
      members: allMembers({ reply: 'ok' }),
    },
  ],
  'receipt/read': [
    {
      what: 'up to the last event',
      frame: (c) => ({ type: 'receipt', conversationId: c.id, kind: 'read', seq: SETUP_SEQS }),
      members: allMembers({ reply: 'ok' }),
    },
  ],
  'create_conversation/group': [
    {
      what: 'reusing the group’s id',
      frame: (c) => ({
        type: 'create_conversation',
        conversationId: c.id,
        conversation: { kind: 'group', memberIds: [c.member2] },
      }),
      members: {
        // The creator: the group as it is now (an idempotent retry); anyone else: the id is taken.
        owner: {
          reply: 'conversation',
          verify: (reply, c) =>
            expect((reply as Extract<ServerFrame, { type: 'conversation' }>).conversation).toMatchObject({
              id: c.id,
              kind: 'group',
              lastSeq: SETUP_SEQS,
            }),
        },
        admin: { refused: 'conflict', reason: 'conversation_id_taken' },
        member: { refused: 'conflict', reason: 'conversation_id_taken' },
      },
      outsiders: {
        'non-member': { refused: 'conflict', reason: 'conversation_id_taken' },
        'former member': { refused: 'conflict', reason: 'conversation_id_taken' },
      },
    },
  ],
  'create_conversation/direct': [
    {
      what: 'reusing the group’s id',
      frame: (c) => ({ type: 'create_conversation', conversationId: c.id, conversation: { kind: 'direct', userId: c.member2 } }),
      members: allMembers({ refused: 'invalid', reason: 'bad_conversation_id' }),
      outsiders: {
        'non-member': { refused: 'invalid', reason: 'bad_conversation_id' },
        'former member': { refused: 'invalid', reason: 'bad_conversation_id' },
      },
    },
  ],
};

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** freshGroup: created (1), two admins made (2, 3), the former member's envelope (4) and removal (5), four envelopes (6–9). */
const REMOVAL_SEQ = 5;
const SETUP_SEQS = 9;

describeEachStore('authorization: every role in a group', (backend) => {
  const r = createServerHarness({ backend });
  let roleServer: TestServer;
  let roleDb: AsyncSnapshotReader;
  const accounts = {} as Record<
    'owner' | 'admin' | 'member' | 'admin2' | 'member2' | 'outsider' | 'former' | 'stranger',
    TestAccount
  >;
  const sockets = {} as Record<'owner' | 'admin' | 'member' | 'admin2' | 'member2' | 'outsider', TestClient>;
  const raw = {} as Record<'former' | 'stranger', RawSocket>;
  let groups = 0;

  beforeAll(async () => {
    roleServer = await r.startServer();
    for (const name of ['owner', 'admin', 'member', 'admin2', 'member2', 'outsider', 'former', 'stranger'] as const) {
      accounts[name] = await r.createAccount(roleServer, { username: `role-${name}-${process.pid}` });
    }
    for (const name of ['owner', 'admin', 'member', 'admin2', 'member2', 'outsider'] as const)
      sockets[name] = await r.connect(roleServer, accounts[name].token);
    raw.former = await RawSocket.connect(roleServer.url, accounts.former.token);
    raw.stranger = await RawSocket.connect(roleServer.url, accounts.stranger.token);
    roleDb = await roleServer.database!.openSnapshotReader();
  });

  afterAll(async () => {
    await roleDb?.close();
    const violations = [...(raw.former?.violations ?? []), ...(raw.stranger?.violations ?? [])];
    await raw.former?.close();
    await raw.stranger?.close();
    await r.cleanup();
    expect(violations).toEqual([]);
  });

  /**
   * A new group for one case. Join order: owner, admin, member, admin2, member2, former; admin and
   * admin2 are made admins; the former member writes and is removed; then owner, admin, member and
   * member2 each write one envelope.
   */
  async function freshGroup(actor: Actor): Promise<RoleCast> {
    groups += 1;
    const tag = `g${groups}`;
    const owner = sockets.owner;
    const memberIds = [accounts.admin, accounts.member, accounts.admin2, accounts.member2, accounts.former].map((a) => a.user.id);
    const { id } = await createGroup(owner, { memberIds });
    await groupChange(owner, id, `${tag}-admin`, { kind: 'set_role', userId: accounts.admin.user.id, role: 'admin' });
    await groupChange(owner, id, `${tag}-admin2`, { kind: 'set_role', userId: accounts.admin2.user.id, role: 'admin' });
    await rawEnvelope(raw.former, id, `${tag}-former`, 'soon gone');
    await groupChange(owner, id, `${tag}-remove-former`, { kind: 'remove_member', userId: accounts.former.user.id });
    for (const who of ['owner', 'admin', 'member', 'member2'] as const)
      await sockets[who].send(id, `${tag}-${who}`, `from ${who}`);
    const actorAccount = {
      'non-member': accounts.stranger,
      'former member': accounts.former,
      member: accounts.member,
      admin: accounts.admin,
      owner: accounts.owner,
    }[actor];
    const actorKey = { 'non-member': 'member2', 'former member': 'former', member: 'member', admin: 'admin', owner: 'owner' }[
      actor
    ];
    const cast: RoleCast = {
      id,
      tag,
      devicesVersion: await devicesVersionOf(owner, id),
      actor,
      actorId: actorAccount.user.id,
      owner: accounts.owner.user.id,
      admin: accounts.admin.user.id,
      member: accounts.member.user.id,
      admin2: accounts.admin2.user.id,
      member2: accounts.member2.user.id,
      outsider: accounts.outsider.user.id,
      messageOf: (who) => `${tag}-${who === 'actor' ? actorKey : 'member2'}`,
    };
    await Promise.all([
      ...Object.values(sockets).map((socket) => socket.barrier()),
      raw.former.barrier(),
      raw.stranger.barrier(),
    ]);
    return cast;
  }

  /** The outcome rules.ts (and the design of issue 7) give `actor` for `variant`. */
  function expected(variant: Variant, actor: Actor): Outcome {
    if (actor === 'non-member' || actor === 'former member') return variant.outsiders?.[actor] ?? 'like-missing';
    return variant.members[actor];
  }

  function describeOutcome(outcome: Outcome): string {
    if (outcome === 'like-missing') return 'not_found, byte for byte as for a conversation that does not exist';
    if ('stored' in outcome) return `stored as a ${outcome.stored} event`;
    if ('reply' in outcome) return `answered ${outcome.reply}`;
    return `${outcome.refused}, ${outcome.reason}`;
  }

  it('has a row for every conversation-scoped frame type and kind in the schema, and an outcome for every actor', () => {
    expect(Object.keys(ROLE_MATRIX).sort()).toEqual(requiredRows().sort());
    for (const variants of Object.values(ROLE_MATRIX)) {
      expect(variants.length).toBeGreaterThan(0);
      for (const variant of variants) for (const actor of ACTORS) expect(expected(variant, actor)).toBeDefined();
    }
  });

  const cases = Object.entries(ROLE_MATRIX).flatMap(([row, variants]) =>
    variants.flatMap((variant) =>
      ACTORS.map(
        (actor) =>
          [`${row} (${variant.what}) by ${actor}: ${describeOutcome(expected(variant, actor))}`, { variant, actor }] as const,
      ),
    ),
  );

  it.each(cases)('%s', async (_name, { variant, actor }) => {
    const cast = await freshGroup(actor);
    const outcome = expected(variant, actor);
    const frame = variant.frame(cast);
    expect(clientFrameSchema.safeParse({ ...frame, rid: 'r' }).success).toBe(true);
    const watched = Object.values(sockets);
    const pushCounts = watched.map((socket) => socket.pushes.length);
    const before = await roleDb.snapshot();
    const { lastSeq } = (await listedConversation(sockets.member2, cast.id))!;
    expect(lastSeq).toBe(SETUP_SEQS);

    let reply: ServerFrame;
    if (actor === 'non-member' || actor === 'former member') {
      const socket = actor === 'non-member' ? raw.stranger : raw.former;
      const rid = `${cast.tag}-probe`;
      if (outcome === 'like-missing') {
        const { real, missing } = await bothReplies(socket, frame, rid, cast.id, newGroupId());
        expect(real.frame).toEqual({ type: 'error', rid, ...REFUSALS.conversation_not_found });
        expect(real.raw).toBe(missing.raw);
        expect(real.raw).not.toContain(cast.id);
      }
      const [answer] = await socket.exchange([JSON.stringify({ ...frame, rid })]);
      reply = answer!.frame;
    } else {
      reply = await sockets[actor].request(frame);
    }

    const nothingChanged = async () => {
      await Promise.all([...watched.map((socket) => socket.barrier()), raw.former.barrier(), raw.stranger.barrier()]);
      // Presence is left out: the group made for this case introduces its members to each other in
      // steps that run after the replies (later still on a networked store); no change frame causes one.
      watched.forEach((socket, index) =>
        expect(
          socket.pushes.slice(pushCounts[index]).filter((push) => push.type !== 'presence'),
          `pushed to ${socket.user.username}`,
        ).toEqual([]),
      );
      expect(await roleDb.snapshot()).toEqual(before);
    };

    if (outcome === 'like-missing') {
      await nothingChanged();
    } else if ('refused' in outcome) {
      expect(reply).toMatchObject({ type: 'error', code: outcome.refused, reason: outcome.reason });
      await nothingChanged();
    } else if ('reply' in outcome) {
      expect(reply.type, JSON.stringify(reply)).toBe(outcome.reply);
      outcome.verify?.(reply, cast);
    } else {
      expect(reply.type, JSON.stringify(reply)).toBe('sent');
      const { event } = reply as Extract<ServerFrame, { type: 'sent' }>;
      expect(event).toMatchObject({ kind: outcome.stored, conversationId: cast.id, seq: SETUP_SEQS + 1, senderId: cast.actorId });
      outcome.check?.(event, cast);
      // Stored once and pushed to the members: admin2 stays in the group in every case but its own removal.
      const observer = event.kind === 'member_removed' && event.userId === cast.admin2 ? sockets.member2 : sockets.admin2;
      expect(await observer.waitForPush('event', (p) => p.event.conversationId === cast.id && p.event.seq === event.seq)).toEqual(
        { type: 'event', event },
      );
    }
    expect(roleServer.logged).toEqual([]);
  });
});
