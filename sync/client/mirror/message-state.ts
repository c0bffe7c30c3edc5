/**
 * What changes a message's state, as the mirror keeps it (migration 34: one table by message, kind
 * and holder): a poll's options beside its message, and the content of content/kinds/ (votes, a
 * poll's end). Values are JSON, checked against their schema when read: a row that does not parse
 * counts as absent, so a damaged vote never takes a poll down with it.
 */
import type { PollView } from '../../app-api/polls-api.js';
import { pollDefinitionSchema, tallyPoll, type Ballot, type PollDefinition } from '../../common/polls.js';
import { messageStateKind, type MessageStateContent } from '../../content/kinds/message-state.js';
import { storedVoteSchema } from '../../content/kinds/poll.js';
import type { MessageStateEvent } from '../../content/opened-events.js';
import { cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';

/** The kind under which a poll's options are kept, held by its author. */
const POLL: DefinitionKind = 'poll';

/** A message's own definition kept beside it (a poll's options, a location's point, a sticker's pack), held by its author. */
export type DefinitionKind = 'poll' | 'location' | 'sticker';

/** A message's definition, with its message (as composed here, or as it arrived); a copy later changes nothing. */
export function storeDefinition(
  db: Db,
  kind: DefinitionKind,
  message: { conversationId: string; messageId: string; authorId: string; seq: number },
  definition: unknown,
): void {
  cachedStatement(
    db,
    `INSERT INTO message_state (conversation_id, message_id, kind, holder_id, value, seq) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  ).run(message.conversationId, message.messageId, kind, message.authorId, JSON.stringify(definition), message.seq);
}

/** The definition of `kind` a message has, checked by `schema`: null when it has none, or it is damaged. */
export function definitionOf<T>(
  db: Db,
  kind: DefinitionKind,
  schema: StateSchema<T>,
  conversationId: string,
  messageId: string,
): T | null {
  const value = cachedValueStatement(
    db,
    `SELECT value FROM message_state WHERE conversation_id = ? AND message_id = ? AND kind = ?`,
  ).get(conversationId, messageId, kind) as string | undefined;
  return parsedState(schema, value);
}

/** A poll's options, with its message. */
export function storePoll(db: Db, message: Parameters<typeof storeDefinition>[2], poll: PollDefinition): void {
  storeDefinition(db, POLL, message, poll);
}

/** The poll a message is, or null when it is none (or its options are damaged). */
export function pollOf(db: Db, conversationId: string, messageId: string): PollDefinition | null {
  return definitionOf(db, POLL, pollDefinitionSchema, conversationId, messageId);
}

/** When a new value replaces the one kept for the same holder, per kind's `keeps`. */
const WINS = {
  latest: 'excluded.seq > message_state.seq',
  first: 'excluded.seq < message_state.seq',
  newest_at: `(json_extract(excluded.value, '$.at'), excluded.seq) > (json_extract(message_state.value, '$.at'), message_state.seq)`,
} as const;

/**
 * Keeps what a vote or an end says, judged already: per holder, the value its kind keeps by seq
 * (the latest vote, the first end), so the order events arrive in does not matter.
 */
export function applyMessageState(db: Db, event: MessageStateEvent, messageAuthorId: string): void {
  const kind = messageStateKind(event.state.kind);
  const holder = kind.holder === 'sender' ? event.senderId : messageAuthorId;
  const wins = WINS[kind.keeps];
  cachedStatement(
    db,
    `INSERT INTO message_state (conversation_id, message_id, kind, holder_id, value, seq) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET value = excluded.value, seq = excluded.seq WHERE ${wins}`,
  ).run(event.conversationId, event.messageId, event.state.kind, holder, JSON.stringify(kind.value(event.state)), event.seq);
}

/** A message deleted (for everyone, or gone for good): its state goes with it. */
export function purgeMessageState(db: Db, conversationId: string, messageId: string): void {
  cachedStatement(db, 'DELETE FROM message_state WHERE conversation_id = ? AND message_id = ?').run(conversationId, messageId);
}

/** Whether the poll's end is known here. */
export function pollEnded(db: Db, conversationId: string, messageId: string): boolean {
  return (
    cachedStatement(db, "SELECT 1 FROM message_state WHERE conversation_id = ? AND message_id = ? AND kind = 'poll_end'").get(
      conversationId,
      messageId,
    ) !== undefined
  );
}

/** This device's queued state content about a message (its votes and ends not yet confirmed), oldest first. */
export interface QueuedState {
  messageId: string;
  content: MessageStateContent;
}

/**
 * The polls among these messages, as they show: the confirmed votes counted by seq, with this
 * person's queued vote (the newest) and end laid over them.
 */
export function pollViews(
  db: Db,
  conversationId: string,
  messageIds: readonly string[],
  selfId: string,
  queued: readonly QueuedState[],
): Map<string, PollView> {
  const rows = cachedStatement(
    db,
    `SELECT s.message_id, s.kind, s.holder_id, s.value, s.seq, u.display_name FROM message_state s
       LEFT JOIN users u ON u.id = s.holder_id
     WHERE s.conversation_id = ? AND s.message_id IN (SELECT value FROM json_each(?))`,
  ).all(conversationId, JSON.stringify(messageIds)) as StateRow[];
  const byMessage = new Map<string, StateRow[]>();
  for (const row of rows) {
    const states = byMessage.get(row.message_id);
    if (states) states.push(row);
    else byMessage.set(row.message_id, [row]);
  }
  const views = new Map<string, PollView>();
  // Our own name, for a vote of ours that is only queued (a confirmed one has it from its row).
  const selfName = () =>
    (cachedValueStatement(db, 'SELECT display_name FROM users WHERE id = ?').get(selfId) as string | undefined) ?? '';
  for (const [messageId, states] of byMessage) {
    const definition = states.find((row) => row.kind === POLL);
    const poll = definition ? parsedState(pollDefinitionSchema, definition.value) : null;
    if (!poll) continue;
    const own = queued.filter((entry) => entry.messageId === messageId);
    views.set(messageId, pollView(poll, states, { id: selfId, name: selfName }, own));
  }
  return views;
}

interface StateRow {
  message_id: string;
  kind: string;
  holder_id: string;
  value: string;
  seq: number;
  display_name: string | null;
}

function pollView(
  poll: PollDefinition,
  states: StateRow[],
  self: { id: string; name: () => string },
  queued: readonly QueuedState[],
): PollView {
  const selfId = self.id;
  const names = new Map<string, string>();
  const ballots: Ballot[] = [];
  let endSeq: number | null = null;
  for (const row of states) {
    if (row.kind === 'poll_end') endSeq = row.seq;
    if (row.kind !== 'poll_vote') continue;
    const vote = parsedState(storedVoteSchema, row.value);
    if (!vote) continue;
    ballots.push({ voterId: row.holder_id, choices: vote.choices, seq: row.seq });
    names.set(row.holder_id, row.display_name ?? '');
  }
  const queuedVote = queued.findLast((entry) => entry.content.kind === 'poll_vote')?.content;
  const queuedEnd = queued.some((entry) => entry.content.kind === 'poll_end');
  if (queuedVote?.kind === 'poll_vote' && endSeq === null) {
    // Not on the server yet: it counts after everything confirmed, as it will.
    ballots.push({ voterId: selfId, choices: queuedVote.choices, seq: Number.MAX_SAFE_INTEGER });
    if (!names.has(selfId)) names.set(selfId, self.name());
  }
  const tally = tallyPoll(poll, ballots, endSeq);
  const mine = poll.options.map((_, index) => index).filter((index) => tally.voters[index]!.includes(selfId));
  return {
    options: poll.options.map((text, index) => ({
      text,
      voters: tally.voters[index]!.map((id) => ({ id, name: names.get(id) ?? '' })),
    })),
    multiple: poll.multiple,
    ended: endSeq !== null || queuedEnd,
    people: tally.people,
    mine,
    pending: queuedVote !== undefined || queuedEnd,
  };
}

type StateSchema<T> = { safeParse(value: unknown): { success: true; data: T } | { success: false } };

/** A value read back from message_state, checked by its schema: null when it is absent or damaged. */
export function parsedState<T>(schema: StateSchema<T>, json: string | undefined): T | null {
  if (json === undefined) return null;
  try {
    const result = schema.safeParse(JSON.parse(json));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}
