/**
 * Cutting a page of a conversation's log (event-visibility.ts: cutPage), for every store: events
 * hidden from the reader and gaps in the numbers (purge-plaintext deleted what was kept in the
 * clear there) both end a page, and the next one starts past them with `skippedTo`, so a client
 * that moves its cursor only over events that follow it (sync-engine.ts catchUp, the mirror's
 * applyEvents) gets every event it may see, page by page.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cutPage, pageWindow, type HiddenFacts, type Period } from '../../../sync/server/store/event-visibility.js';

const READER = 'reader';
const OPEN: Period[] = [{ from_seq: 1, to_seq: null }];

/** Rows at `seqs`, those in `hidden` hidden from the reader. */
function rowsAt(seqs: readonly number[], hidden: readonly number[] = []): HiddenFacts[] {
  return seqs.map((seq) => ({ seq, hidden_from: hidden.includes(seq) ? READER : null }));
}

/** A page of `log` after `afterSeq` as a store reads it: from the first row served to the reader, `limit` + 1 rows. */
function readPage(log: readonly HiddenFacts[], lastSeq: number, afterSeq: number, limit: number, periods = OPEN) {
  const window = pageWindow(periods, afterSeq);
  if (!window) return { rows: [], hasMore: false };
  const inWindow = log.filter((row) => row.seq > window.afterSeq && row.seq <= window.untilSeq);
  const first = inWindow.findIndex((row) => row.hidden_from !== READER);
  const rows = first === -1 ? [] : inWindow.slice(first, first + limit + 1);
  return cutPage(rows, { userId: READER, afterSeq, limit }, window, () => lastSeq);
}

/** What a client's catch-up from `cursor` ends with: the seqs it applied, in order, and its cursor. */
function catchUp(log: readonly HiddenFacts[], lastSeq: number, limit: number, from = 0) {
  const applied: number[] = [];
  let cursor = from;
  for (let pages = 0; pages < 1_000; pages++) {
    const page = readPage(log, lastSeq, cursor, limit);
    // The mirror: past skippedTo, then over the events that follow without a gap.
    cursor = Math.max(cursor, page.skippedTo ?? 0);
    for (const row of page.rows) {
      if (row.seq !== cursor + 1) break;
      applied.push(row.seq);
      cursor = row.seq;
    }
    if (!page.hasMore) return { applied, cursor };
  }
  throw new Error('the catch-up did not end');
}

describe('cutting a page of the log', () => {
  it('ends a page before a gap in the numbers, and the next one starts past it with skippedTo', () => {
    const log = rowsAt([1, 2, 3, 6, 7, 10]);
    expect(readPage(log, 10, 0, 50)).toEqual({ rows: rowsAt([1, 2, 3]), hasMore: true });
    expect(readPage(log, 10, 3, 50)).toEqual({ rows: rowsAt([6, 7]), hasMore: true, skippedTo: 5 });
    expect(readPage(log, 10, 7, 50)).toEqual({ rows: rowsAt([10]), hasMore: false, skippedTo: 9 });
  });

  it('ends it at the limit first when the gap lies further on', () => {
    const log = rowsAt([1, 2, 3, 4, 8]);
    expect(readPage(log, 8, 0, 2)).toEqual({ rows: rowsAt([1, 2]), hasMore: true });
    expect(readPage(log, 8, 2, 2)).toEqual({ rows: rowsAt([3, 4]), hasMore: true });
  });

  it('skips to the end of the log when the events left after the cursor were all deleted', () => {
    expect(readPage(rowsAt([1, 2]), 9, 2, 50)).toEqual({ rows: [], hasMore: false, skippedTo: 9 });
  });

  it('ends a page at whichever comes first of a gap and an event hidden from the reader', () => {
    const log = rowsAt([1, 2, 3, 5, 6, 7, 9], [6]);
    expect(readPage(log, 9, 0, 50)).toEqual({ rows: rowsAt([1, 2, 3]), hasMore: true });
    expect(readPage(log, 9, 3, 50)).toEqual({ rows: rowsAt([5]), hasMore: true, skippedTo: 4 });
    expect(readPage(log, 9, 5, 50)).toEqual({ rows: rowsAt([7]), hasMore: true, skippedTo: 6 });
    expect(readPage(log, 9, 7, 50)).toEqual({ rows: rowsAt([9]), hasMore: false, skippedTo: 8 });
  });

  it('keeps the end of a period the end of a page, gaps or not', () => {
    const periods: Period[] = [
      { from_seq: 2, to_seq: 5 },
      { from_seq: 9, to_seq: null },
    ];
    const log = rowsAt([1, 2, 4, 5, 6, 9, 11]);
    const page = (afterSeq: number) => {
      const window = pageWindow(periods, afterSeq)!;
      const rows = log.filter((row) => row.seq > window.afterSeq && row.seq <= window.untilSeq).slice(0, 51);
      return cutPage(rows, { userId: READER, afterSeq, limit: 50 }, window, () => 11);
    };
    expect(page(0)).toEqual({ rows: rowsAt([2]), hasMore: true, skippedTo: 1 });
    expect(page(2)).toEqual({ rows: rowsAt([4, 5]), hasMore: true, skippedTo: 3 });
    expect(page(5)).toEqual({ rows: rowsAt([9]), hasMore: true, skippedTo: 8 });
    expect(page(9)).toEqual({ rows: rowsAt([11]), hasMore: false, skippedTo: 10 });
  });

  it('brings a client every event it may see, in order, across any gaps and hidden events, and what comes after them next time', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('kept', 'deleted', 'hidden'), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        (fates, limit) => {
          const log = fates.flatMap((fate, i) => (fate === 'deleted' ? [] : rowsAt([i + 1], fate === 'hidden' ? [i + 1] : [])));
          const served = fates.flatMap((fate, i) => (fate === 'kept' ? [i + 1] : []));
          const first = catchUp(log, fates.length, limit);
          expect(first.applied).toEqual(served);
          expect(first.cursor).toBeGreaterThanOrEqual(served.at(-1) ?? 0);
          // A new event, pushed to the client past where its cursor stands, is caught up to next.
          const next = fates.length + 1;
          expect(catchUp([...log, ...rowsAt([next])], next, limit, first.cursor)).toEqual({ applied: [next], cursor: next });
        },
      ),
    );
  });
});
