/**
 * The PostgreSQL store's receipts that wait for the receipt run: raised together in one statement
 * (pg-watermarks.ts raiseWatermarksWith), each answered as it would be alone. A member's row that
 * another transaction holds is skipped, not waited for, so the batch never deadlocks with it; the
 * store raises that one alone once the row is free.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresConnections, withSession } from '../../../sync/server/store/pg-connections.js';
import { openPostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { CONTENDED, raiseWatermarksWith, type Receipt } from '../../../sync/server/store/pg-watermarks.js';
import type { WatermarkResult } from '../../../sync/server/store/server-store.js';
import { ALICE, conversationWith, person, range, seedAliceAndPeople } from '../../support/alice-and-people.js';
import { holdRows, sqlRows } from '../../support/pg-interleaving.js';
import { freshDatabase } from '../../support/postgres.js';
import { appendTestEnvelope } from '../../support/store-envelopes.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const MESSAGES_EACH = 3;

/** Alice and `people` others, a direct conversation with each holding MESSAGES_EACH of her envelopes; every receipt run's size recorded. */
async function conversationsWithMessages(people: number) {
  const database = await freshDatabase();
  closers.push(database.drop);
  const runs: number[] = [];
  const store = await openPostgresServerStore(database.url, { onReceiptRun: (receipts) => runs.push(receipts) });
  closers.push(() => store.close());
  await seedAliceAndPeople(store, people);
  for (const n of range(1, people)) {
    for (const m of range(1, MESSAGES_EACH)) {
      const stored = await appendTestEnvelope(store, {
        conversationId: conversationWith(n),
        senderId: ALICE,
        clientId: `m-${n}-${m}`,
      });
      if (stored.status !== 'stored') throw new Error(`Seeding envelope ${n}-${m}: ${stored.status}`);
    }
  }
  return { url: database.url, store, runs };
}

const receipt = (n: number, kind: Receipt['kind'], seq: number, userId = person(n)): Receipt => ({
  conversationId: conversationWith(n),
  userId,
  kind,
  seq,
});
const raised = (deliveredSeq: number, readSeq: number, n: number, before: [number, number] = [0, 0]): WatermarkResult => ({
  deliveredSeq,
  readSeq,
  before: { deliveredSeq: before[0], readSeq: before[1] },
  moved: true,
  memberIds: [ALICE, person(n)],
});

/** A connection of its own holding person n's member row (FOR NO KEY UPDATE, as an append marking a first message would), until released. */
async function holdMemberRow(url: string, n: number): Promise<() => Promise<void>> {
  const release = await holdRows(url, 'SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2 FOR NO KEY UPDATE', [
    conversationWith(n),
    person(n),
  ]);
  closers.push(release);
  return release;
}

async function watermarksOf(url: string, n: number) {
  const [row] = await sqlRows<{ delivered_seq: number; read_seq: number }>(
    url,
    'SELECT delivered_seq::int AS delivered_seq, read_seq::int AS read_seq FROM members WHERE conversation_id = $1 AND user_id = $2',
    [conversationWith(n), person(n)],
  );
  return row;
}

describe('PostgreSQL store: receipts that waited for the receipt run', () => {
  it('are raised together, and each is answered as it would be alone', async () => {
    const { url, store, runs } = await conversationsWithMessages(8);
    await store.raiseWatermark(receipt(5, 'delivered', 3));
    const setUp = runs.length;

    // Submitted at once: the first takes the free run, and the rest wait and go together.
    const checks: Array<[Receipt, WatermarkResult | null]> = [
      [receipt(1, 'delivered', 2), raised(2, 0, 1)],
      // Never past the conversation's last event.
      [receipt(2, 'delivered', 99), raised(MESSAGES_EACH, 0, 2)],
      // Read implies delivered.
      [receipt(3, 'read', 2), raised(2, 2, 3)],
      [receipt(4, 'read', 99), raised(MESSAGES_EACH, MESSAGES_EACH, 4)],
      // Lower than what is recorded: nothing moves, and the answer is the recorded watermarks.
      [receipt(5, 'delivered', 1), { ...raised(3, 0, 5, [3, 0]), moved: false }],
      // Not a member.
      [receipt(6, 'delivered', 1, person(7)), null],
      [receipt(7, 'delivered', 1), raised(1, 0, 7)],
      [receipt(8, 'read', 1), raised(1, 1, 8)],
    ];
    const results = await Promise.all(checks.map(([input]) => store.raiseWatermark(input)));
    expect(results).toEqual(checks.map(([, expected]) => expected));
    expect(runs.slice(setUp)).toEqual([1, checks.length - 1]);

    expect(await watermarksOf(url, 2)).toEqual({ delivered_seq: MESSAGES_EACH, read_seq: 0 });
    expect(await watermarksOf(url, 4)).toEqual({ delivered_seq: MESSAGES_EACH, read_seq: MESSAGES_EACH });
    expect(await watermarksOf(url, 5)).toEqual({ delivered_seq: 3, read_seq: 0 });
    expect(await watermarksOf(url, 6)).toEqual({ delivered_seq: 0, read_seq: 0 });
  });

  it("keeps one member's receipts in the order they came, one per run", async () => {
    const { url, store, runs } = await conversationsWithMessages(1);
    const setUp = runs.length;
    const results = await Promise.all([
      store.raiseWatermark(receipt(1, 'delivered', 1)),
      store.raiseWatermark(receipt(1, 'read', 2)),
      store.raiseWatermark(receipt(1, 'delivered', 2)),
      store.raiseWatermark(receipt(1, 'delivered', 3)),
    ]);
    expect(results).toEqual([
      raised(1, 0, 1),
      raised(2, 2, 1, [1, 0]),
      { ...raised(2, 2, 1, [2, 2]), moved: false },
      raised(3, 2, 1, [2, 2]),
    ]);
    expect(runs.slice(setUp)).toEqual([1, 1, 1, 1]);
    expect(await watermarksOf(url, 1)).toEqual({ delivered_seq: 3, read_seq: 2 });
  });

  it('skips a row another transaction holds instead of waiting for it, and writes nothing of that receipt', async () => {
    const { url } = await conversationsWithMessages(3);
    const release = await holdMemberRow(url, 2);
    const connections = new PostgresConnections(url);
    closers.push(() => connections.pool.end());

    const results = await withSession(connections, (session) =>
      raiseWatermarksWith(session, [receipt(1, 'delivered', 2), receipt(2, 'read', 2), receipt(3, 'read', 1)]),
    );
    expect(results).toEqual([raised(2, 0, 1), CONTENDED, raised(1, 1, 3)]);
    await release();
    expect(await watermarksOf(url, 2)).toEqual({ delivered_seq: 0, read_seq: 0 });
  });

  it('answers the rest of a batch while a row is held, and raises that one alone once it is free', async () => {
    const { url, store, runs } = await conversationsWithMessages(4);
    const release = await holdMemberRow(url, 2);
    const setUp = runs.length;

    const first = store.raiseWatermark(receipt(4, 'delivered', 1));
    const held = store.raiseWatermark(receipt(2, 'read', 2));
    const others = Promise.all([store.raiseWatermark(receipt(1, 'delivered', 2)), store.raiseWatermark(receipt(3, 'read', 1))]);
    expect(await first).toEqual(raised(1, 0, 4));
    expect(await others).toEqual([raised(2, 0, 1), raised(1, 1, 3)]);
    let heldAnswered = false;
    void held.then(() => (heldAnswered = true));
    // The held one is now waiting for the row alone, its batch long answered.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heldAnswered).toBe(false);

    await release();
    expect(await held).toEqual(raised(2, 2, 2));
    expect(runs.slice(setUp)).toEqual([1, 3, 1]);
    expect(await watermarksOf(url, 2)).toEqual({ delivered_seq: 2, read_seq: 2 });
  });
});
