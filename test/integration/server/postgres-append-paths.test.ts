/**
 * The PostgreSQL store's fast paths, beside the contract every store meets: a message appended
 * without a transaction (facts, then an insert that checks the conversation's counter), which must
 * store nothing when it lost a race, and a page of the log read as a range of the primary key, so
 * that reading at the end of a long conversation costs what reading at its start does.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { RetryTransaction } from '../../../sync/server/store/pg-connections.js';
import { appendMessageWith, EVENTS_PAGE } from '../../../sync/server/store/pg-event-log.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { NewMessage } from '../../../sync/server/store/server-store.js';
import { sqlRows, withFactsThen } from '../../support/pg-interleaving.js';
import { freshDatabase } from '../../support/postgres.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const ALICE = 'alice';
const BOB = 'bob';
const CONVERSATION = directConversationId(ALICE, BOB);

async function aliceAndBob(): Promise<{ url: string; store: PostgresServerStore }> {
  const database = await freshDatabase();
  closers.push(database.drop);
  const store = await openPostgresServerStore(database.url);
  closers.push(() => store.close());
  for (const id of [ALICE, BOB]) {
    await store.createUser({ id, username: id, displayName: id, passwordHash: 'hash', createdAt: 1 });
  }
  const created = await store.createConversation({
    conversationId: CONVERSATION,
    creatorId: ALICE,
    conversation: { kind: 'direct', userId: BOB },
    createdAt: 1,
    maxMembers: 10,
    caps: UNCAPPED,
  });
  expect(created.status).toBe('created');
  return { url: database.url, store };
}

function message(clientMessageId: string, senderId = ALICE, extra: Partial<NewMessage> = {}): NewMessage {
  return { conversationId: CONVERSATION, senderId, clientMessageId, text: clientMessageId, replyTo: null, sentAt: 1, ...extra };
}

/** The append without a transaction, with `between` run after its facts were read (withFactsThen). */
function appendAfterFacts(url: string, input: NewMessage, between: () => Promise<unknown>) {
  return withFactsThen(url, between, (session) => appendMessageWith(session, input, false));
}

function storedSeqs(url: string): Promise<Array<{ seq: number; client_id: string }>> {
  return sqlRows(url, 'SELECT seq::int AS seq, client_id FROM events WHERE conversation_id = $1 ORDER BY seq', [CONVERSATION]);
}

describe('PostgreSQL store: a message appended without a transaction', () => {
  it('stores nothing when another event was stored after its facts were read, and the store then appends it next', async () => {
    const { url, store } = await aliceAndBob();
    const before = await storedSeqs(url);

    const lost = appendAfterFacts(url, message('late'), () => store.appendMessage(message('early', BOB)));
    await expect(lost).rejects.toBeInstanceOf(RetryTransaction);
    const early = before.length + 1;
    expect(await storedSeqs(url)).toEqual([...before, { seq: early, client_id: 'early' }]);

    const answer = await store.appendMessage(message('late'));
    expect(answer).toMatchObject({ status: 'stored', event: { seq: early + 1, clientMessageId: 'late' } });
    expect(await storedSeqs(url)).toEqual([...before, { seq: early, client_id: 'early' }, { seq: early + 1, client_id: 'late' }]);
  });

  it('stores nothing when the upload it refers to was deleted after its facts were read; the store then refuses it', async () => {
    const { url, store } = await aliceAndBob();
    const upload = { id: 'ab'.repeat(16), sha256: 'cd'.repeat(32), size: 5 };
    await store.createUpload({ ...upload, ownerId: ALICE, createdAt: 1, quotaBytes: 1_000 });
    await store.completeUpload(upload.id, 2);
    const attachment = { ...upload, name: 'a.txt', mime: 'text/plain', kind: 'file' as const };
    const withFile = message('with-file', ALICE, { attachments: [attachment] });
    const before = await storedSeqs(url);

    const lost = appendAfterFacts(url, withFile, async () => expect(await store.deleteUpload(upload.id)).toBe(true));
    await expect(lost).rejects.toBeInstanceOf(RetryTransaction);
    expect(await storedSeqs(url)).toEqual(before);

    expect(await store.appendMessage(withFile)).toEqual({ status: 'refused', reason: 'attachment_missing' });
  });

  it('tells the first message since joining, once, on either path', async () => {
    const { url, store } = await aliceAndBob();
    expect(await store.appendMessage(message('first'))).toMatchObject({ status: 'stored', firstMessage: true });
    expect(await store.appendMessage(message('second'))).toMatchObject({ status: 'stored', firstMessage: false });
    // Bob's first one loses its race without the lock (Alice writes meanwhile), and is stored by the locked path.
    await expect(
      appendAfterFacts(url, message('bob-first', BOB), () => store.appendMessage(message('third'))),
    ).rejects.toBeInstanceOf(RetryTransaction);
    expect(await store.appendMessage(message('bob-first', BOB))).toMatchObject({ status: 'stored', firstMessage: true });
  });
});

describe('PostgreSQL store: a message judged on the facts its sender was last judged on', () => {
  const GROUP = 'group-of-three';
  const CAROL = 'carol';

  it('stores it only while those facts hold: other nodes moving the counter, a block and a member leaving all count', async () => {
    const { url, store } = await aliceAndBob();
    await store.createUser({ id: CAROL, username: CAROL, displayName: CAROL, passwordHash: 'hash', createdAt: 1 });
    const created = await store.createConversation({
      conversationId: GROUP,
      creatorId: ALICE,
      conversation: { kind: 'group', name: 'Three', memberIds: [BOB, CAROL] },
      createdAt: 1,
      maxMembers: 10,
      caps: UNCAPPED,
    });
    expect(created).toMatchObject({ status: 'created' });
    // Another node on the same database: what it stores, this node's remembered facts never saw.
    const other = await openPostgresServerStore(url);
    closers.push(() => other.close());
    const inGroup = (clientMessageId: string, senderId = ALICE) => message(clientMessageId, senderId, { conversationId: GROUP });

    const first = await store.appendMessage(inGroup('g1'));
    expect(first).toMatchObject({ status: 'stored', memberIds: [ALICE, BOB, CAROL] });
    const start = first.status === 'stored' ? first.event.seq : 0;
    expect(await other.appendMessage(inGroup('from-bob', BOB))).toMatchObject({ status: 'stored', event: { seq: start + 1 } });
    expect(await store.appendMessage(inGroup('g2'))).toMatchObject({ status: 'stored', event: { seq: start + 2 } });

    const blocked = await other.setSettings(CAROL, [
      { setting: { kind: 'blocked', userId: ALICE, value: true }, at: 2, by: 'd' },
    ]);
    expect(blocked).toMatchObject({ status: 'stored' });
    expect(await store.appendMessage(inGroup('g3'))).toMatchObject({
      status: 'stored',
      event: { seq: start + 3 },
      memberIds: [ALICE, BOB],
    });
    const left = await other.appendGroupChange({
      conversationId: GROUP,
      senderId: BOB,
      clientChangeId: 'bob-leaves',
      change: { kind: 'leave' },
      sentAt: 3,
      maxMembers: 10,
      caps: UNCAPPED,
    });
    expect(left).toMatchObject({ status: 'stored', event: { seq: start + 4 } });
    expect(await store.appendMessage(inGroup('g4'))).toMatchObject({
      status: 'stored',
      event: { seq: start + 5 },
      memberIds: [ALICE],
    });

    const hiddenFromCarol = await sqlRows<{ client_id: string }>(
      url,
      `SELECT e.client_id FROM hidden_events h JOIN events e ON e.conversation_id = h.conversation_id AND e.seq = h.seq
       WHERE h.conversation_id = $1 AND h.user_id = $2 ORDER BY e.seq`,
      [GROUP, CAROL],
    );
    expect(hiddenFromCarol.map((row) => row.client_id)).toEqual(['g3', 'g4']);
  });

  it('answers a resend with what was stored, whatever text it comes with', async () => {
    const { store } = await aliceAndBob();
    const stored = await store.appendMessage(message('once'));
    expect(stored).toMatchObject({ status: 'stored' });
    expect(await store.appendMessage(message('once'))).toEqual({
      status: 'duplicate',
      event: stored.status === 'stored' ? stored.event : null,
    });
    expect(await store.appendMessage({ ...message('once'), text: 'another text' })).toMatchObject({ status: 'duplicate' });
  });
});

describe('PostgreSQL store: a page of the log', () => {
  /** Buffers the page statement touches, as its generic plan (what a prepared statement settles on) runs. */
  async function pageBuffers(url: string, afterSeq: number): Promise<number> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE page(text, text, bigint, bigint) AS ${EVENTS_PAGE}`);
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE page('${CONVERSATION}', '${BOB}', ${afterSeq}, 2)`,
      );
      const plan = (rows[0] as { 'QUERY PLAN': Array<{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }> })[
        'QUERY PLAN'
      ][0]!.Plan;
      return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
    } finally {
      await client.end();
    }
  }

  it('costs the same at the end of a long conversation as at its start, edits included', async () => {
    const { url, store } = await aliceAndBob();
    const count = 3_000;
    for (let i = 0; i < count; i++) await store.appendMessage(message(`m${i}`));
    const edit = await store.appendChange({
      conversationId: CONVERSATION,
      senderId: ALICE,
      clientChangeId: 'edit-last',
      sentAt: 2,
      change: { kind: 'edit', messageId: `m${count - 1}`, text: 'edited' },
    });
    if (edit.status !== 'stored') throw new Error(`the edit was not stored: ${JSON.stringify(edit)}`);
    const last = edit.event.seq;

    // As autovacuum keeps them on a live database: the plans are judged with the log's statistics.
    await sqlRows(url, 'ANALYZE events');
    const atStart = await pageBuffers(url, 1);
    const atEnd = await pageBuffers(url, last - 2);
    // Two events' worth of buffers, wherever they are: far fewer than the log's own pages (reading from
    // the conversation's start touched 9,099 at its end here).
    const [table] = await sqlRows<{ pages: number }>(url, "SELECT (pg_relation_size('events') / 8192)::int AS pages");
    const pages = table?.pages ?? 0;
    expect(pages).toBeGreaterThan(30);
    expect(atStart).toBeLessThan(pages);
    expect(atEnd).toBeLessThan(pages);
    const page = await store.readEvents({ conversationId: CONVERSATION, userId: BOB, afterSeq: last - 2, limit: 2 });
    expect(page?.events.map((event) => [event.seq, event.kind])).toEqual([
      [last - 1, 'message'],
      [last, 'edit'],
    ]);
  });
});
