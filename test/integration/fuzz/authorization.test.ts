/**
 * The authorization matrix: every operation a non-member attempts on a conversation is refused
 * with exactly the reply a conversation that does not exist gets (byte for byte), stores nothing
 * and reaches no member; and the stranger cannot learn of the conversation any other way (the
 * conversation list, presence, starting a conversation with one of its members). Only the author
 * may edit or delete a message.
 *
 * The matrix is built from the protocol schema: a new conversation-scoped frame type (or a new
 * change or receipt kind) without a row here fails the first test.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientFrameSchema, type ClientFrame, type ServerFrame } from '../../../sync/protocol/frames.js';
import { REFUSALS, CHANGE_REFUSALS } from '../../../sync/server/refusals.js';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { openSnapshotReader, type SnapshotReader } from '../../support/db-snapshot.js';
import { RawSocket } from '../../support/raw-socket.js';
import { createServerHarness, type TestAccount, type TestClient, type TestServer } from '../../support/server-harness.js';
import { fuzzParams, validFrames, validId } from './hostile-input.js';

const h = createServerHarness();
let server: TestServer;
let db: SnapshotReader;
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

/** A frame without its rid, aimed at `conversationId`. */
type Probe = (conversationId: string) => Omit<ClientFrame, 'rid'>;

/**
 * One row per conversation-scoped frame type, change kind and receipt kind; each row holds probes
 * aimed at what exists in the secret conversation (alice's message "a1", bob's "b1").
 */
const MATRIX: Record<string, Probe[]> = {
  send: [
    (conversationId) => ({ type: 'send', conversationId, clientMessageId: 'probe-send', text: 'let me in' }),
    (conversationId) => ({ type: 'send', conversationId, clientMessageId: 'probe-reply', text: 'hi', replyTo: 'a1' }),
    // alice's own message id: inside the conversation this would be a conflict.
    (conversationId) => ({ type: 'send', conversationId, clientMessageId: 'a1', text: 'mine now' }),
  ],
  'change/edit': [
    (conversationId) => ({ type: 'change', conversationId, clientChangeId: 'probe-edit', change: { kind: 'edit', messageId: 'a1', text: 'x' } }),
    (conversationId) => ({ type: 'change', conversationId, clientChangeId: 'probe-edit-none', change: { kind: 'edit', messageId: 'nothing', text: 'x' } }),
  ],
  'change/delete': [
    (conversationId) => ({ type: 'change', conversationId, clientChangeId: 'probe-delete', change: { kind: 'delete', messageId: 'b1' } }),
  ],
  'change/reaction': [
    (conversationId) => ({ type: 'change', conversationId, clientChangeId: 'probe-react', change: { kind: 'reaction', messageId: 'a1', emoji: '👍', on: true } }),
    (conversationId) => ({ type: 'change', conversationId, clientChangeId: 'probe-unreact', change: { kind: 'reaction', messageId: 'a1', emoji: '❤️', on: false } }),
  ],
  catch_up: [
    (conversationId) => ({ type: 'catch_up', conversationId, afterSeq: 0 }),
    (conversationId) => ({ type: 'catch_up', conversationId, afterSeq: 1, limit: 1 }),
    (conversationId) => ({ type: 'catch_up', conversationId, afterSeq: 1_000_000 }),
  ],
  'receipt/delivered': [(conversationId) => ({ type: 'receipt', conversationId, kind: 'delivered', seq: 2 })],
  'receipt/read': [(conversationId) => ({ type: 'receipt', conversationId, kind: 'read', seq: 1_000 })],
  typing: [(conversationId) => ({ type: 'typing', conversationId })],
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

beforeAll(async () => {
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
  await aliceSocket.send(secret, 'a1', 'the secret plan');
  await bobSocket.send(secret, 'b1', 'count me in');
  await aliceSocket.change(secret, 'a-react', { kind: 'reaction', messageId: 'b1', emoji: '❤️', on: true });
  await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
  strangerSocket = await RawSocket.connect(server.url, mallory.token);
  contactSocket = await RawSocket.connect(server.url, trudy.token);
  await contactSocket.exchange([JSON.stringify({ type: 'start_conversation', rid: 'start', username: alice.user.username })]);
  await aliceSocket.waitForPush('conversation_added');
  await aliceSocket.waitForPush('presence', (push) => push.userId === trudy.user.id);
  await Promise.all([aliceSocket.barrier(), bobSocket.barrier(), contactSocket.barrier()]);
  db = openSnapshotReader(join(server.dataDir, SERVER_DATABASE_FILE));
});

afterAll(async () => {
  db?.close();
  const violations = [...(strangerSocket?.violations ?? []), ...(contactSocket?.violations ?? [])];
  await strangerSocket?.close();
  await contactSocket?.close();
  await h.cleanup();
  expect(violations).toEqual([]);
});

/** Runs `body`; afterwards the database is unchanged and no member socket was pushed anything. */
async function changesNothing(body: () => Promise<void>): Promise<void> {
  const before = db.snapshot();
  const pushes = [aliceSocket.pushes.length, bobSocket.pushes.length];
  await body();
  await Promise.all([aliceSocket.barrier(), bobSocket.barrier(), strangerSocket.barrier(), contactSocket.barrier()]);
  expect(aliceSocket.pushes.slice(pushes[0]), 'pushed to alice').toEqual([]);
  expect(bobSocket.pushes.slice(pushes[1]), 'pushed to bob').toEqual([]);
  expect(db.snapshot()).toEqual(before);
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

/** What a non-member hears for `frame` aimed at the secret conversation and at one that does not exist. */
async function bothReplies(socket: RawSocket, frame: Omit<ClientFrame, 'rid' | 'conversationId'>, rid: string, nowhere: string) {
  const [real, missing] = await socket.exchange([
    JSON.stringify({ ...frame, rid, conversationId: secret }),
    JSON.stringify({ ...frame, rid, conversationId: nowhere }),
  ]);
  return { real: real!, missing: missing! };
}

describe('authorization: a stranger and a conversation', () => {
  it('has a matrix row for every conversation-scoped frame type and kind in the schema', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(requiredRows().sort());
    for (const probes of Object.values(MATRIX)) expect(probes.length).toBeGreaterThan(0);
    // Every probe is a valid frame: a refusal is about membership, never about shape.
    for (const probe of Object.values(MATRIX).flat()) {
      expect(clientFrameSchema.safeParse({ ...probe(secret), rid: 'r' }).success).toBe(true);
    }
  });

  const nonMembers = { 'a stranger': () => strangerSocket, "a member's contact": () => contactSocket };
  const cases = Object.keys(MATRIX).flatMap((row) => Object.keys(nonMembers).map((who) => [row, who] as const));
  it.each(cases)('%s by %s: not_found, byte for byte as for a conversation that does not exist', async (row, who) => {
    const socket = nonMembers[who as keyof typeof nonMembers]();
    await changesNothing(async () => {
      for (const [index, probe] of MATRIX[row]!.entries()) {
        const rid = `${row}-${index}`;
        const { real, missing } = await bothReplies(socket, probe(secret), rid, '00000000-0000-4000-8000-000000000000');
        expect(real.frame).toEqual({ type: 'error', rid, ...REFUSALS.conversationNotFound });
        expect(real.raw).toBe(missing.raw);
        expect(real.raw).not.toContain(secret);
      }
    });
  });

  it('refuses random valid conversation frames from non-members exactly as for unknown conversations', async () => {
    const frames = validFrames({
      conversationIds: fc.constant(secret),
      messageIds: fc.oneof(fc.constantFrom('a1', 'b1', 'nothing'), validId),
      usernames: fc.constant('unused'),
    });
    const scoped = fc.oneof(...Object.keys(MATRIX).map((row) => frames[row]!));
    const nowhere = validId.filter((id) => id !== secret);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('stranger', 'contact'), scoped, nowhere, async (who, frame, missingId) => {
        await changesNothing(async () => {
          const { real, missing } = await bothReplies(who === 'stranger' ? strangerSocket : contactSocket, frame, frame.rid, missingId);
          expect(real.frame).toEqual({ type: 'error', rid: frame.rid, ...REFUSALS.conversationNotFound });
          expect(real.raw).toBe(missing.raw);
        });
      }),
      fuzzParams(300),
    );
  });

  it('lets only the author edit or delete a message: another member is forbidden, whatever the state of the message', async () => {
    const aliceMessages = ['a1', 'a-gone'];
    await aliceSocket.send(secret, 'a-gone', 'to be deleted');
    await aliceSocket.change(secret, 'a-delete', { kind: 'delete', messageId: 'a-gone' });
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier()]);
    const attempt = fc.record({
      messageId: fc.constantFrom(...aliceMessages),
      kind: fc.constantFrom('edit' as const, 'delete' as const),
      clientChangeId: validId.filter((id) => !['a-react', 'b1', 'a-delete'].includes(id)),
      text: fc.string({ minLength: 1, maxLength: 20 }).filter((text) => text.trim().length > 0),
    });
    await fc.assert(
      fc.asyncProperty(attempt, async ({ messageId, kind, clientChangeId, text }) => {
        await changesNothing(async () => {
          const change = kind === 'edit' ? { kind, messageId, text } : { kind, messageId };
          const reply = await bobSocket.call({ type: 'change', conversationId: secret, clientChangeId, change }, 'error');
          expect(reply).toMatchObject(CHANGE_REFUSALS.not_author);
        });
      }),
      fuzzParams(100),
    );
  });

  it('cannot learn of the conversation from the conversation list, presence or starting a conversation with a member', async () => {
    const secrets = [secret, bob.user.id, bob.user.username, 'the secret plan', 'count me in'];
    const heard = () => strangerSocket.received.map((frame) => frame.raw).join('\n');
    await changesNothing(async () => {
      const [list] = await strangerSocket.exchange([JSON.stringify({ type: 'list_conversations', rid: 'list' })]);
      expect(list!.frame).toEqual({ type: 'conversations', rid: 'list', conversations: [] });
    });
    // No contacts: the stranger was told nobody's presence, and is not told when members come and go.
    await bobComesAndGoes();
    await strangerSocket.barrier();
    expect(strangerSocket.pushes.map((push) => push.frame.type)).toEqual(['welcome']);

    // Starting a conversation with alice makes the stranger her contact, and nothing more.
    const [started] = await strangerSocket.exchange([JSON.stringify({ type: 'start_conversation', rid: 'start', username: alice.user.username })]);
    const conversation = (started!.frame as Extract<ServerFrame, { type: 'conversation' }>).conversation;
    expect(conversation.id).not.toBe(secret);
    expect(conversation.members.map((member) => member.id)).toEqual([mallory.user.id, alice.user.id]);
    expect(conversation.lastSeq).toBe(0);
    await aliceSocket.waitForPush('presence', (push) => push.userId === mallory.user.id);
    await strangerSocket.waitForPushes((frame) => frame.type === 'presence', 1);
    const [after] = await strangerSocket.exchange([JSON.stringify({ type: 'list_conversations', rid: 'after' })]);
    expect((after!.frame as Extract<ServerFrame, { type: 'conversations' }>).conversations.map((c) => c.id)).toEqual([conversation.id]);

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
    expect(conversations.map((c) => [c.id, c.members.map((member) => member.id)])).toEqual([[secret, [alice.user.id, bob.user.id]]]);
  });

  it('refuses for membership, not for shape: the same probes by a member are accepted', async () => {
    await aliceSocket.send(secret, 'member-delete-me', 'short-lived');
    for (const [row, probes] of Object.entries(MATRIX)) {
      for (const [index, probe] of probes.entries()) {
        const frame = { ...probe(secret), rid: `member-${row}-${index}` } as ClientFrame;
        // alice may not reuse her own message id for a new one, nor edit or delete bob's: aim those at her own.
        if (frame.type === 'send' && frame.clientMessageId === 'a1') continue;
        if (frame.type === 'change') {
          frame.clientChangeId = `member-${frame.clientChangeId}`;
          if (frame.change.kind === 'edit') frame.change.messageId = 'a1';
          if (frame.change.kind === 'delete') frame.change.messageId = 'member-delete-me';
        }
        if (frame.type === 'send') frame.clientMessageId = `member-${frame.clientMessageId}`;
        const reply = await aliceSocket.request(frame);
        expect(reply.type, `${row}: ${JSON.stringify(reply)}`).not.toBe('error');
      }
    }
  });
});
