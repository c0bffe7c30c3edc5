/**
 * Two server nodes writing one PostgreSQL database at the same moment, as two stores with a pool
 * each: what SQLite gets from having one writer, PostgreSQL must get from its transactions, row
 * locks and unique keys. Every race here is run many times over, all at once.
 */
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { EnvelopeResult, NewEnvelope } from '../../../sync/server/store/server-store.js';
import { allConversationsOf } from '../../support/all-conversations.js';
import { freshDatabase } from '../../support/postgres.js';
import { devicesVersionIn, envelopeFor } from '../../support/store-envelopes.js';

const stores: PostgresServerStore[] = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const drop of drops.splice(0)) await drop();
});

/** Two nodes on one new database. */
async function twoNodes(): Promise<[PostgresServerStore, PostgresServerStore]> {
  const database = await freshDatabase();
  drops.push(database.drop);
  const nodes = await Promise.all([openPostgresServerStore(database.url), openPostgresServerStore(database.url)]);
  stores.push(...nodes);
  return nodes;
}

async function createUsers(store: PostgresServerStore, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await store.createUser({ id, username: id, displayName: id, passwordHash: 'hash', createdAt: 1 });
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

type Stored = Extract<EnvelopeResult, { status: 'stored' }>;
type Duplicate = Extract<EnvelopeResult, { status: 'duplicate' }>;

describe('PostgreSQL store: two nodes at once', () => {
  it('numbers 50 concurrent sends into one conversation 1..N without gaps or repeats, and answers concurrent resends with the original', async () => {
    const [one, two] = await twoNodes();
    const people = range(1, 10).map((n) => `person-${n}`);
    await createUsers(one, people);
    const conversationId = 'group-1';
    const created = await one.createConversation({
      conversationId,
      creatorId: people[0]!,
      conversation: { kind: 'group', memberIds: people },
      createdAt: 1,
      maxMembers: 100,
      caps: UNCAPPED,
    });
    expect(created).toMatchObject({ status: 'created', event: { seq: 1 } });

    const version = await devicesVersionIn(one, conversationId, people[0]!);
    const sends: NewEnvelope[] = range(1, 50).map((n) =>
      envelopeFor({ conversationId, senderId: people[n % people.length]!, clientId: `message-${n}`, sentAt: 10 + n }, version),
    );
    // Every fifth send is resent at once through the other node, as a client does after a lost reply.
    const resent = sends.filter((_, index) => index % 5 === 0);
    const results = await Promise.all([
      ...sends.map((send, index) => (index % 2 === 0 ? one : two).appendEnvelope(send)),
      ...resent.map((send, index) => (index % 2 === 0 ? two : one).appendEnvelope(send)),
    ]);

    const stored = results.filter((result): result is Stored => result.status === 'stored');
    const duplicates = results.filter((result): result is Duplicate => result.status === 'duplicate');
    expect(stored).toHaveLength(sends.length);
    expect(duplicates).toHaveLength(resent.length);
    expect(stored.map((result) => result.event.seq).sort((a, b) => a - b)).toEqual(range(2, sends.length + 1));
    expect(new Set(stored.map((result) => result.event.clientId)).size).toBe(sends.length);
    for (const duplicate of duplicates) {
      const original = stored.find((result) => result.event.clientId === duplicate.event.clientId);
      expect(duplicate.event).toEqual(original?.event);
    }

    // The log holds each once, in the order of the numbers, and every reader sees the same.
    for (const [node, reader] of [
      [one, people[3]!],
      [two, people[7]!],
    ] as const) {
      const page = await node.readEvents({ conversationId, userId: reader, afterSeq: 0, limit: 100 });
      expect(page?.events.map((event) => event.seq)).toEqual(range(1, sends.length + 1));
      expect(page?.events.slice(1)).toEqual([...stored].sort((a, b) => a.event.seq - b.event.seq).map((result) => result.event));
    }
    expect((await two.getConversationForMember(conversationId, people[0]!))?.lastSeq).toBe(sends.length + 1);
  });

  it('creates the direct conversation of a pair once when both start it at the same moment on different nodes', async () => {
    const [one, two] = await twoNodes();
    const pairs = range(1, 10).map((n) => [`left-${n}`, `right-${n}`] as const);
    await createUsers(one, pairs.flat());

    const outcomes = await Promise.all(
      pairs.map(async ([left, right]) => {
        const conversationId = directConversationId(left, right);
        const start = (node: PostgresServerStore, creatorId: string, userId: string) =>
          node.createConversation({
            conversationId,
            creatorId,
            conversation: { kind: 'direct', userId },
            createdAt: 1,
            maxMembers: 100,
            caps: UNCAPPED,
          });
        return Promise.all([start(one, left, right), start(two, right, left)]);
      }),
    );

    for (const [index, [left, right]] of pairs.entries()) {
      expect(outcomes[index]!.map((outcome) => outcome.status).sort()).toEqual(['created', 'existing']);
      for (const person of [left, right]) {
        const listed = await allConversationsOf(one, person);
        expect(listed.map((conversation) => conversation.id)).toEqual([directConversationId(left, right)]);
        expect(listed[0]!.members.map((member) => member.id).sort()).toEqual([left, right].sort());
      }
    }
  });

  it('gives a username to exactly one of two sign-ups racing for it', async () => {
    const [one, two] = await twoNodes();
    const names = range(1, 20).map((n) => `name-${n}`);
    const outcomes = await Promise.all(
      names.map((username) =>
        Promise.all(
          [one, two].map((node, index) =>
            node.createUser({ id: `${username}-${index}`, username, displayName: username, passwordHash: 'hash', createdAt: 1 }),
          ),
        ),
      ),
    );
    for (const [index, username] of names.entries()) {
      expect(outcomes[index]!.map((outcome) => outcome.status).sort()).toEqual(['created', 'username_taken']);
      const winner = outcomes[index]!.findIndex((outcome) => outcome.status === 'created');
      expect((await two.findUserByUsername(username))?.id).toBe(`${username}-${winner}`);
    }
  });

  it('lets only one of two uploads racing for the last of a quota in', async () => {
    const [one, two] = await twoNodes();
    const owners = range(1, 10).map((n) => `owner-${n}`);
    await createUsers(one, owners);
    const outcomes = await Promise.all(
      owners.map((ownerId) =>
        Promise.all(
          [one, two].map((node, index) =>
            node.createUpload({
              id: `${ownerId}-upload-${index}`,
              ownerId,
              sha256: 'a'.repeat(64),
              size: 60,
              createdAt: 1,
              quotaBytes: 100,
            }),
          ),
        ),
      ),
    );
    for (const [index, ownerId] of owners.entries()) {
      expect(outcomes[index]!.map((outcome) => outcome.status).sort()).toEqual(['created', 'refused']);
      const kept = await Promise.all([0, 1].map((upload) => one.getUpload(`${ownerId}-upload-${upload}`)));
      expect(kept.filter((upload) => upload !== null)).toHaveLength(1);
    }
  });

  it('leaves watermarks at the highest receipt whatever order concurrent receipts land in', async () => {
    const [one, two] = await twoNodes();
    await createUsers(one, ['alice', 'bob']);
    const conversationId = directConversationId('alice', 'bob');
    await one.createConversation({
      conversationId,
      creatorId: 'alice',
      conversation: { kind: 'direct', userId: 'bob' },
      createdAt: 1,
      maxMembers: 100,
      caps: UNCAPPED,
    });
    const version = await devicesVersionIn(one, conversationId, 'alice');
    for (const n of range(1, 30)) {
      await one.appendEnvelope(envelopeFor({ conversationId, senderId: 'alice', clientId: `m${n}`, sentAt: n }, version));
    }

    const receipts = range(1, 30).flatMap((seq) => [
      { kind: 'delivered' as const, seq },
      { kind: 'read' as const, seq: Math.max(0, seq - 5) },
    ]);
    const results = await Promise.all(
      receipts.map((receipt, index) =>
        (index % 3 === 0 ? one : two).raiseWatermark({ conversationId, userId: 'bob', ...receipt }),
      ),
    );

    const bob = (await one.getConversationForMember(conversationId, 'alice'))?.members.find((member) => member.id === 'bob');
    expect(bob).toMatchObject({ deliveredSeq: 30, readSeq: 25 });
    // Each watermark rose through its values one receipt at a time: no receipt saw the same rise as another.
    const raised = results.filter((result) => result?.moved);
    expect(new Set(raised.map((result) => `${result?.deliveredSeq} ${result?.readSeq}`)).size).toBe(raised.length);
  });
});
