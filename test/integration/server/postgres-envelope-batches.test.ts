/**
 * The PostgreSQL store's group commit for envelopes: envelopes of distinct conversations that wait
 * for the append run are judged and stored together, in one transaction of four statements
 * (pg-envelopes.ts appendEnvelopesWith). Each must get the answer it would get alone, and one that
 * lost a race must store nothing of itself; the store then runs it alone. A batch skips a
 * conversation another transaction holds rather than wait for it while it holds others.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { UNBUDGETED } from '../../../sync/server/store/settings-rules.js';
import { inTransaction, PostgresConnections, type Session } from '../../../sync/server/store/pg-connections.js';
import { appendEnvelopesWith } from '../../../sync/server/store/pg-envelopes.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { EnvelopeResult, NewEnvelope } from '../../../sync/server/store/server-store.js';
import { ALICE, conversationWith, person, range, seedAliceAndPeople } from '../../support/alice-and-people.js';
import { holdRows, sqlRows } from '../../support/pg-interleaving.js';
import { freshDatabase } from '../../support/postgres.js';
import { testOpened } from '../../support/server-harness.js';
import { appendTestEnvelope, devicesVersionIn, envelopeFor, type TestEnvelope } from '../../support/store-envelopes.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Alice and `people` others, a direct conversation between her and each; every append run's size recorded. */
async function aliceAndOthers(people: number) {
  const database = await freshDatabase();
  closers.push(database.drop);
  const runs: number[] = [];
  const store = await openPostgresServerStore(database.url, { onEnvelopeRun: (envelopes) => runs.push(envelopes) });
  closers.push(() => store.close());
  await seedAliceAndPeople(store, people);
  return { url: database.url, store, runs };
}

/** Alice's envelope `clientId` in her conversation with person n, sealed for its devices now. */
async function envelope(store: PostgresServerStore, n: number, clientId: string, extra: Partial<TestEnvelope> = {}) {
  const sent: TestEnvelope = { conversationId: conversationWith(n), senderId: ALICE, clientId, ...extra };
  return envelopeFor(sent, await devicesVersionIn(store, sent.conversationId, sent.senderId));
}

/** Each conversation's log as (seq, client id, what it says), in seq order. */
async function logs(store: PostgresServerStore, url: string, n: number): Promise<Array<[number, string, string]>> {
  const page = await store.readEvents({ conversationId: conversationWith(n), userId: ALICE, afterSeq: 0, limit: 100 });
  const rows = await sqlRows<{ seq: number }>(url, 'SELECT seq::int AS seq FROM events WHERE conversation_id = $1', [
    conversationWith(n),
  ]);
  expect(rows.length).toBe(page?.events.length ?? 0);
  return (page?.events ?? []).map((event) => {
    if (event.kind !== 'envelope') throw new Error(`Not an envelope: ${event.kind}`);
    return [event.seq, event.clientId, testOpened(event)];
  });
}

async function completedUpload(store: PostgresServerStore, id: string): Promise<string> {
  await store.createUpload({ id, sha256: 'cd'.repeat(32), size: 5, ownerId: ALICE, createdAt: 1, quotaBytes: 1_000_000 });
  await store.completeUpload(id, 2);
  return id;
}

type Stored = Extract<EnvelopeResult, { status: 'stored' }>;

describe('PostgreSQL store: envelopes that waited for the append run', () => {
  it('are stored together, and each is answered as it would be alone', async () => {
    const { url, store, runs } = await aliceAndOthers(24);
    const seed = (await appendTestEnvelope(store, {
      conversationId: conversationWith(1),
      senderId: ALICE,
      clientId: 'seed',
    })) as Stored;
    await appendTestEnvelope(store, { conversationId: conversationWith(5), senderId: ALICE, clientId: 'doomed' });
    const attachment = await completedUpload(store, 'ab'.repeat(16));
    const stale = await envelope(store, 6, 'stale');
    const plain = await Promise.all(range(11, 24).map((n) => envelope(store, n, `plain-${n}`, { text: `plain \u0000 ${n}` })));
    const setUp = runs.length;

    // Submitted at once: the first takes the free run, and everything else waits and goes in batches.
    const sends: Array<[NewEnvelope, (result: EnvelopeResult) => void]> = [
      [await envelope(store, 1, 'seed'), (result) => expect(result).toEqual({ status: 'duplicate', event: seed.event })],
      [
        await envelope(store, 2, 'stranger', { senderId: person(3) }),
        (result) => expect(result).toEqual({ status: 'refused', reason: 'conversation_not_found' }),
      ],
      [
        await envelope(store, 3, 'no-target', { deletes: 'nope' }),
        (result) => expect(result).toEqual({ status: 'refused', reason: 'no_such_message' }),
      ],
      [
        await envelope(store, 4, 'with-file', { attachments: [attachment, attachment] }),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1, attachments: [attachment, attachment] } }),
      ],
      [
        await envelope(store, 5, 'deleter', { deletes: 'doomed' }),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 2, clientId: 'deleter' } }),
      ],
      [
        { ...stale, devicesVersion: (stale.devicesVersion ?? 0) + 7 },
        (result) =>
          expect(result).toEqual({
            status: 'devices_changed',
            devices: {
              version: stale.devicesVersion,
              members: [
                { userId: ALICE, devices: [] },
                { userId: person(6), devices: [] },
              ],
            },
          }),
      ],
      [
        await envelope(store, 7, 'first-of-person-7', { senderId: person(7) }),
        (result) => expect(result).toMatchObject({ status: 'stored', firstMessage: true, memberIds: [ALICE, person(7)] }),
      ],
      [
        await envelope(store, 8, 'eight-a'),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1 }, firstMessage: true }),
      ],
      [
        await envelope(store, 8, 'eight-b'),
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 2 }, firstMessage: false }),
      ],
      // One client id into two conversations at once: the first is stored, the second is a reuse.
      [await envelope(store, 9, 'twin'), (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1 } })],
      [await envelope(store, 10, 'twin'), (result) => expect(result).toEqual({ status: 'refused', reason: 'client_id_reused' })],
      ...plain.map((input): [NewEnvelope, (result: EnvelopeResult) => void] => [
        input,
        (result) => expect(result).toMatchObject({ status: 'stored', event: { seq: 1, clientId: input.clientId } }),
      ]),
    ];
    const results = await Promise.all(sends.map(([input]) => store.appendEnvelope(input)));
    sends.forEach(([, check], i) => check(results[i]!));
    expect(Math.max(...runs.slice(setUp))).toBeGreaterThan(1);

    expect(await logs(store, url, 1)).toEqual([[1, 'seed', 'seed']]);
    for (const n of [2, 3, 6, 10]) expect(await logs(store, url, n)).toEqual([]);
    expect(await logs(store, url, 5)).toEqual([
      [1, 'doomed', ''],
      [2, 'deleter', 'deleter'],
    ]);
    expect(await logs(store, url, 8)).toEqual([
      [1, 'eight-a', 'eight-a'],
      [2, 'eight-b', 'eight-b'],
    ]);
    for (const n of range(11, 24)) expect(await logs(store, url, n)).toEqual([[1, `plain-${n}`, `plain \u0000 ${n}`]]);
    expect(
      await sqlRows(url, 'SELECT upload_id, conversation_id, seq::int AS seq FROM attachment_refs ORDER BY conversation_id'),
    ).toEqual([{ upload_id: attachment, conversation_id: conversationWith(4), seq: 1 }]);
    expect(
      await sqlRows(url, 'SELECT conversation_id, user_id FROM members WHERE first_message_seq IS NOT NULL AND user_id <> $1', [
        ALICE,
      ]),
    ).toEqual([{ conversation_id: conversationWith(7), user_id: person(7) }]);
    const counters = await sqlRows<{ id: string; last_seq: number }>(
      url,
      'SELECT id, last_seq::int AS last_seq FROM conversations',
    );
    const lastSeqs = new Map(counters.map((row) => [row.id, row.last_seq]));
    expect(range(1, 24).map((n) => lastSeqs.get(conversationWith(n)))).toEqual(
      range(1, 24).map((n) => ({ 5: 2, 8: 2, 2: 0, 3: 0, 6: 0, 10: 0 })[n] ?? 1),
    );
  });

  it('in groups are hidden from the members who blocked their sender, as they are alone', async () => {
    const { url, store, runs } = await aliceAndOthers(12);
    const groups = ['group-a', 'group-b', 'group-c'];
    for (const conversationId of groups) {
      const created = await store.createConversation({
        conversationId,
        creatorId: ALICE,
        conversation: { kind: 'group', memberIds: [person(1), person(2), person(3)] },
        createdAt: 1,
        maxMembers: 10,
        caps: UNCAPPED,
      });
      expect(created).toMatchObject({ status: 'created' });
    }
    for (const blocker of [person(1), person(2)]) {
      const blocked = await store.setSettings(
        blocker,
        [{ setting: { kind: 'blocked', userId: ALICE, value: true }, at: 1, by: 'd' }],
        UNBUDGETED,
      );
      expect(blocked).toMatchObject({ status: 'stored' });
    }
    const setUp = runs.length;

    // Submitted at once, with direct ones between: the group envelopes go in batches.
    const inGroups = await Promise.all(
      groups.map(async (conversationId) =>
        envelopeFor(
          { conversationId, senderId: ALICE, clientId: `in-${conversationId}` },
          await devicesVersionIn(store, conversationId, ALICE),
        ),
      ),
    );
    const direct = await Promise.all(range(5, 12).map((n) => envelope(store, n, `direct-${n}`)));
    const results = await Promise.all(
      [await envelope(store, 4, 'first'), ...inGroups, ...direct].map((input) => store.appendEnvelope(input)),
    );
    expect(Math.max(...runs.slice(setUp))).toBeGreaterThan(1);
    for (const result of results.slice(1, 1 + groups.length)) {
      expect(result).toMatchObject({ status: 'stored', event: { seq: 2 } });
      expect((result as Stored).memberIds.sort()).toEqual([ALICE, person(3)]);
    }
    expect(
      await sqlRows(url, 'SELECT conversation_id, seq::int AS seq, user_id FROM hidden_events ORDER BY conversation_id, user_id'),
    ).toEqual(
      groups.flatMap((conversationId) =>
        [person(1), person(2)].map((user_id) => ({ conversation_id: conversationId, seq: 2, user_id })),
      ),
    );
    const read = async (conversationId: string, userId: string) =>
      (await store.readEvents({ conversationId, userId, afterSeq: 1, limit: 10 }))?.events.map((event) => event.seq);
    expect(await read('group-a', person(1))).toEqual([]);
    expect(await read('group-a', person(3))).toEqual([2]);
  });

  it('stores nothing of one whose client id another writer took after its facts were read; alone, it is then answered as a reuse', async () => {
    const { url, store } = await aliceAndOthers(3);
    const connections = new PostgresConnections(url);
    closers.push(() => connections.pool.end());
    const late = await envelope(store, 1, 'contested');
    const other = await envelope(store, 2, 'other');
    const rival = await envelope(store, 3, 'contested');

    // The rival commits into a conversation this transaction has not locked, just before its insert.
    const results = await inTransaction(connections, (tx) =>
      appendEnvelopesWith(
        beforeInsert(tx, async () => expect(await store.appendEnvelope(rival)).toMatchObject({ status: 'stored' })),
        [late, other],
        'skip_locked',
      ),
    );
    expect(results[0]).toBeNull();
    expect(results[1]).toMatchObject({ status: 'stored', event: { seq: 1, clientId: 'other' } });
    expect(await logs(store, url, 1)).toEqual([]);
    expect(await logs(store, url, 3)).toEqual([[1, 'contested', 'contested']]);

    expect(await store.appendEnvelope(late)).toEqual({ status: 'refused', reason: 'client_id_reused' });
  });

  it('leaves the target of a delete that lost its race as it was', async () => {
    const { url, store } = await aliceAndOthers(3);
    const connections = new PostgresConnections(url);
    closers.push(() => connections.pool.end());
    await appendTestEnvelope(store, { conversationId: conversationWith(1), senderId: ALICE, clientId: 'doomed' });
    const deleter = await envelope(store, 1, 'contested', { deletes: 'doomed' });
    const other = await envelope(store, 2, 'other');
    const rival = await envelope(store, 3, 'contested');

    const results = await inTransaction(connections, (tx) =>
      appendEnvelopesWith(
        beforeInsert(tx, async () => expect(await store.appendEnvelope(rival)).toMatchObject({ status: 'stored' })),
        [deleter, other],
        'skip_locked',
      ),
    );
    expect(results).toMatchObject([null, { status: 'stored' }]);
    expect(await logs(store, url, 1)).toEqual([[1, 'doomed', 'doomed']]);
  });

  it('skips a conversation another transaction holds instead of waiting for it, and stores nothing of that envelope', async () => {
    const { url, store } = await aliceAndOthers(3);
    const connections = new PostgresConnections(url);
    closers.push(() => connections.pool.end());
    const inputs = await Promise.all(range(1, 3).map((n) => envelope(store, n, `e-${n}`)));
    const release = await holdConversation(url, 2);

    const results = await inTransaction(connections, (tx) => appendEnvelopesWith(tx, inputs, 'skip_locked'));
    expect(results).toMatchObject([{ status: 'stored' }, null, { status: 'stored' }]);
    await release();
    expect(await logs(store, url, 2)).toEqual([]);
  });

  it('answers the rest of a batch while a conversation is held, and stores that one alone once it is free', async () => {
    const { url, store, runs } = await aliceAndOthers(4);
    const inputs = await Promise.all(range(1, 4).map((n) => envelope(store, n, `e-${n}`)));
    const release = await holdConversation(url, 2);
    const setUp = runs.length;

    const first = store.appendEnvelope(inputs[3]!);
    const held = store.appendEnvelope(inputs[1]!);
    const others = Promise.all([store.appendEnvelope(inputs[0]!), store.appendEnvelope(inputs[2]!)]);
    expect(await first).toMatchObject({ status: 'stored', event: { seq: 1 } });
    expect(await others).toMatchObject([
      { status: 'stored', event: { seq: 1 } },
      { status: 'stored', event: { seq: 1 } },
    ]);
    let heldAnswered = false;
    void held.then(() => (heldAnswered = true));
    // The held one now waits for its conversation alone, its batch long answered.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heldAnswered).toBe(false);

    await release();
    expect(await held).toMatchObject({ status: 'stored', event: { seq: 1, clientId: 'e-2' } });
    expect(runs.slice(setUp)).toEqual([1, 3, 1]);
    expect(await logs(store, url, 2)).toEqual([[1, 'e-2', 'e-2']]);
  });

  it('judges an envelope that waited for its conversation on what the holder of the lock committed', async () => {
    const { url, store } = await aliceAndOthers(1);
    const input = await envelope(store, 1, 'after-removal');
    // As a group change would: the conversation locked, and Alice no longer a member, not yet committed.
    const release = await holdRows(
      url,
      `WITH locked AS (SELECT id FROM conversations WHERE id = $1 FOR NO KEY UPDATE)
       DELETE FROM members m USING locked WHERE m.conversation_id = locked.id AND m.user_id = $2`,
      [conversationWith(1), ALICE],
    );
    closers.push(release);

    const answer = store.appendEnvelope(input);
    await waitForLockWaiters(url, 1);
    await release();
    // The facts are read once the lock is granted: Alice is not a member then.
    expect(await answer).toEqual({ status: 'refused', reason: 'conversation_not_found' });
    expect(await logs(store, url, 1)).toEqual([]);
  });
});

/** Resolves once `count` backends wait for a lock another transaction holds. */
async function waitForLockWaiters(url: string, count: number): Promise<void> {
  for (;;) {
    const [row] = await sqlRows<{ waiting: number }>(
      url,
      "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    );
    if (row!.waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A connection of its own holding the conversation with person n (FOR NO KEY UPDATE, as a group change would), until released. */
async function holdConversation(url: string, n: number): Promise<() => Promise<void>> {
  const release = await holdRows(url, 'SELECT 1 FROM conversations WHERE id = $1 FOR NO KEY UPDATE', [conversationWith(n)]);
  closers.push(release);
  return release;
}

/** `tx`, but `meanwhile` runs (on other connections) just before the first insert of events. */
function beforeInsert(tx: Session, meanwhile: () => Promise<void>): Session {
  let done = false;
  return {
    async query(text, values) {
      if (!done && text.includes('INSERT INTO events')) {
        done = true;
        await meanwhile();
      }
      return tx.query(text, values);
    },
  };
}
