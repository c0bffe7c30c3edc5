import { peopleNamedIn, type ConversationEvent, type Member } from '../../protocol/frames.js';
import type { EventPage, GroupWatermark } from './server-store.js';

/**
 * What a reader may see of a conversation, for every store: the stores read the rows (visibility
 * periods, events, frozen watermarks) and these rules decide what of them is served.
 */

/** One stretch of a conversation's log a person may read (member_periods): to_seq null while a member. */
export interface Period {
  from_seq: number;
  to_seq: number | null;
}

export function withinPeriods(seq: number, periods: readonly Period[]): boolean {
  return periods.some((period) => seq >= period.from_seq && (period.to_seq === null || seq <= period.to_seq));
}

/** The stretch that holds `seq`, or the first one after it. */
function stretchFrom(periods: readonly Period[], seq: number): Period | undefined {
  const open = periods.filter((period) => period.to_seq === null || period.to_seq >= seq);
  return open.sort((a, b) => a.from_seq - b.from_seq)[0];
}

/**
 * What decides whether one event is hidden from one reader: the member of a direct conversation it
 * is hidden from (events.hidden_from), and whether it is hidden from this reader in a group
 * (hidden_events: hidden_here; absent when it is not).
 */
export interface HiddenFacts {
  seq: number;
  hidden_from: string | null;
  hidden_here?: boolean;
}

function hiddenFrom(event: HiddenFacts, userId: string): boolean {
  return event.hidden_from === userId || event.hidden_here === true;
}

/** Rows read for one reader, with those at `hiddenSeqs` (hidden from them in a group) marked hidden_here. */
export function markHidden<R extends HiddenFacts>(rows: R[], hiddenSeqs: readonly number[]): R[] {
  if (hiddenSeqs.length === 0) return rows;
  const hidden = new Set(hiddenSeqs);
  return rows.map((row) => (hidden.has(row.seq) ? { ...row, hidden_here: true } : row));
}

/**
 * Whether an event is served to `userId`: within one of their periods and not hidden from them
 * (stored while a block stood). A page skips the others (cutPage); nobody deletes what they never got.
 */
export function servedTo(event: HiddenFacts, periods: readonly Period[], userId: string): boolean {
  return !hiddenFrom(event, userId) && withinPeriods(event.seq, periods);
}

/** The stretch of the log a page after `afterSeq` comes from. */
export interface PageWindow {
  /** Where the stretch begins (exclusive): afterSeq, or later when afterSeq lies before the stretch. */
  afterSeq: number;
  /** Where it ends (inclusive): the removal that closed it, or no end while a member. */
  untilSeq: number;
  /** Whether another stretch of theirs follows this one. */
  laterPeriod: boolean;
}

/** The stretch of the reader's log that holds afterSeq + 1, or the next one; null when none is left. */
export function pageWindow(periods: readonly Period[], afterSeq: number): PageWindow | null {
  const period = stretchFrom(periods, afterSeq + 1);
  if (!period) return null;
  return {
    afterSeq: Math.max(afterSeq, period.from_seq - 1),
    untilSeq: period.to_seq ?? Number.MAX_SAFE_INTEGER,
    laterPeriod: period.to_seq !== null && stretchFrom(periods, period.to_seq + 1) !== undefined,
  };
}

/**
 * Cuts a page from `rows`: the events of the window from the first one the reader may be served
 * (none: there is none), at most `limit` + 1 of them, in seq order. Events hidden from the reader
 * are skipped like events from outside their periods: a page ends before a run of them, the next
 * one starts past the whole run, and `skippedTo` says how far nothing was theirs. A page also ends
 * before a gap in the numbers (purge-plaintext deleted the events there), which the next one skips
 * the same way: a client's cursor moves only over events that follow it without a gap. With no
 * event to serve, the page skips to the end of the window, or of the log (`lastSeq`) while it is open.
 */
export function cutPage<R extends HiddenFacts>(
  rows: readonly R[],
  reader: { userId: string; afterSeq: number; limit: number },
  window: PageWindow,
  lastSeq: () => number,
): Omit<EventPage, 'events' | 'users'> & { rows: R[] } {
  const first = rows[0];
  if (!first) {
    const end = Math.min(window.untilSeq, lastSeq());
    return { rows: [], hasMore: window.laterPeriod, ...(end > reader.afterSeq ? { skippedTo: end } : {}) };
  }
  const start = first.seq - 1;
  const end = rows.findIndex((row, i) => hiddenFrom(row, reader.userId) || (i > 0 && row.seq !== rows[i - 1]!.seq + 1));
  const kept = rows.slice(0, end === -1 ? reader.limit : Math.min(end, reader.limit));
  return {
    rows: kept,
    hasMore: rows.length > kept.length || window.laterPeriod,
    ...(start > reader.afterSeq ? { skippedTo: start } : {}),
  };
}

/** Everyone a page's events name (EventPage.users): their senders and the people they are about, in the order first named. */
export function usersNamedIn(events: readonly ConversationEvent[]): string[] {
  return [...new Set(events.flatMap((event) => [event.senderId, ...peopleNamedIn(event)]))];
}

/** The watermarks a viewer is shown instead of the real ones: conversation → member → frozen. */
export type FrozenWatermarks = Map<string, Map<string, { deliveredSeq: number; readSeq: number }>>;

/** Rows of block_watermarks, as a viewer is shown them. */
export function toFrozenWatermarks(
  rows: readonly { conversation_id: string; user_id: string; delivered_seq: number; read_seq: number }[],
): FrozenWatermarks {
  const frozen: FrozenWatermarks = new Map();
  for (const row of rows) {
    const members = frozen.get(row.conversation_id) ?? new Map<string, { deliveredSeq: number; readSeq: number }>();
    members.set(row.user_id, { deliveredSeq: row.delivered_seq, readSeq: row.read_seq });
    frozen.set(row.conversation_id, members);
  }
  return frozen;
}

export interface GroupWatermarkRow {
  conversation_id: string;
  delivered_seq: number;
  read_seq: number;
}

/** Rows of sharedGroupsSql: the user's watermarks in each group they share with someone. */
export function toGroupWatermarks(rows: readonly GroupWatermarkRow[]): GroupWatermark[] {
  return rows.map((row) => ({ conversationId: row.conversation_id, deliveredSeq: row.delivered_seq, readSeq: row.read_seq }));
}

/** Members as the viewer is shown them: with the watermarks kept when a block began, where there are some. */
export function withFrozen(
  members: Member[],
  frozen: Map<string, { deliveredSeq: number; readSeq: number }> | undefined,
): Member[] {
  if (!frozen) return members;
  return members.map((member) => {
    const kept = frozen.get(member.id);
    return kept
      ? {
          ...member,
          deliveredSeq: Math.min(member.deliveredSeq, kept.deliveredSeq),
          readSeq: Math.min(member.readSeq, kept.readSeq),
        }
      : member;
  });
}
