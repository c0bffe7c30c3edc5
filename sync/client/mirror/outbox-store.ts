import { z } from 'zod';
import {
  emoji,
  groupChangeSchema,
  linkPreviewSchema,
  messageText,
  newConversationSchema,
  newGroupName,
  type LinkPreview,
} from '../../protocol/frames.js';
import { id } from '../../protocol/wire-types.js';
import { callContentSchema, renameSchema, type CallContent } from '../../content/content.js';
import { messageStateContentSchema, type MessageStateContent } from '../../content/kinds/message-state.js';
import { disappearingContentSchema, type DisappearingContent } from '../../content/disappearing.js';
import { disappearingTimerMs } from '../../protocol/disappearing.js';
import { pollDefinitionSchema, type PollDefinition } from '../../common/polls.js';
import type { LocationDefinition } from '../../common/locations.js';
import { parsedLocation } from './location-state.js';
import { parsedStickerDefinition } from './sticker-state.js';
import type { StickerDefinition } from '../../common/stickers.js';
import type { QueuedState } from './message-state.js';
import { BOUND_LIMIT, cachedStatement, type Db } from '../../node/sqlite.js';
import type { SealedEnvelope } from '../../protocol/envelope-frames.js';

/** The message a forward copies, where the sender sees it: its conversation and messageId. */
export const forwardOfSchema = z.object({ conversationId: id, messageId: id });
export type ForwardOf = z.infer<typeof forwardOfSchema>;

/** A change to a group as queued: who is in it (the server's to judge) or its name (sealed content). */
export const outboxGroupChangeSchema = z.discriminatedUnion('kind', [...groupChangeSchema.options, renameSchema]);
export type OutboxGroupChange = z.infer<typeof outboxGroupChangeSchema>;

const [directConversation, groupConversation] = newConversationSchema.options;
/**
 * A conversation made here, as queued: a group keeps the name it was given, which goes sealed once
 * the group exists (the creation tells the server none).
 */
export const outboxConversationSchema = z.discriminatedUnion('kind', [
  directConversation,
  groupConversation.extend({ name: newGroupName.optional() }),
]);
export type OutboxConversation = z.infer<typeof outboxConversationSchema>;

interface EntryBase {
  id: number;
  conversationId: string;
  clientId: string;
  attempts: number;
  nextAttemptAt: number;
  /** The envelope the row went as, once sealed (outbox-sender.ts): it goes again as it is. */
  sealed: SealedEnvelope | null;
}

/** A queued message or change, as the sender needs it. */
export type OutboxEntry = EntryBase &
  (
    | {
        kind: 'send';
        messageId: string;
        text: string;
        replyTo: string | null;
        forwardOf: ForwardOf | null;
        linkPreview: LinkPreview | null;
        /** A forward's original author, as this device named them. */
        forwardedFrom: string | null;
        /** Whether it carries files (its own uploads, or a forward's), to be looked up when it goes. */
        hasFiles: boolean;
        /** A poll's options (its text is the question); null for any other message. */
        poll: PollDefinition | null;
        /** A location's point (its text is the place name); null for any other message. */
        location: LocationDefinition | null;
        /** A sticker's pack, key and sticker; null for any other message. */
        sticker: StickerDefinition | null;
        /** The disappearing-message timer it was written with; null when it does not disappear. */
        expiresInMs: number | null;
      }
    | { kind: 'edit'; messageId: string; text: string }
    | { kind: 'delete'; messageId: string }
    | { kind: 'reaction'; messageId: string; emoji: string; on: boolean }
    | { kind: 'pin'; messageId: string; on: boolean }
    /** A conversation made here (offline, or before the server heard of it); its id is clientId. */
    | { kind: 'create'; conversation: OutboxConversation }
    | { kind: 'group'; change: OutboxGroupChange }
    /** A call's entry, written by the caller's device when the call ended; its client id is the call's. */
    | { kind: 'call'; call: CallContent }
    /**
     * Content that changes a message's state (content/kinds/: a vote, a poll's end): sealed and
     * sent as it is, so a new kind of it needs nothing here.
     */
    | { kind: 'content'; messageId: string; content: MessageStateContent }
    /** The conversation's disappearing-message timer, or a group's choice of who may set it: sealed as it is. */
    | { kind: 'conversation_setting'; content: DisappearingContent }
  );

/** The kinds of change to a message, as the outbox's kind column names them. */
const CHANGE_KINDS = ['edit', 'delete', 'reaction', 'pin'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
/**
 * The rows that change a message and are void once it is deleted for everyone (a delete itself
 * is what voids them).
 */
const VOIDED_BY_DELETE_SQL = `(${[...CHANGE_KINDS.filter((kind) => kind !== 'delete'), 'content'].map((kind) => `'${kind}'`).join(', ')})`;
/** The rows of a conversation's creation and of changes to a group, as the kind column names them. */
const GROUP_ROW_KINDS = ['create', ...outboxGroupChangeSchema.options.map((option) => option.shape.kind.value)] as const;

/** A list of kinds as SQL, from their one declaration (the kinds are this module's literals, never input). */
const sqlList = (kinds: readonly string[]) => `(${kinds.map((kind) => `'${kind}'`).join(', ')})`;
const CHANGE_KINDS_SQL = sqlList(CHANGE_KINDS);
const GROUP_ROW_KINDS_SQL = sqlList(GROUP_ROW_KINDS);

/**
 * What each kind keeps in `payload`, checked when read back: a row this version cannot make
 * sense of fails loudly instead of sending something else.
 */
const PAYLOADS = {
  // A forward names what it copies; a plain send keeps nothing here ('{}').
  send: z.object({ forwardOf: forwardOfSchema.optional() }),
  edit: z.object({ text: messageText }),
  delete: z.object({}),
  reaction: z.object({ emoji, on: z.boolean() }),
  pin: z.object({ on: z.boolean() }),
  create: outboxConversationSchema,
  add_members: outboxGroupChangeSchema,
  remove_member: outboxGroupChangeSchema,
  leave: outboxGroupChangeSchema,
  rename: outboxGroupChangeSchema,
  set_role: outboxGroupChangeSchema,
  call: callContentSchema,
  content: messageStateContentSchema,
  conversation_setting: disappearingContentSchema,
} as const;
type RowKind = keyof typeof PAYLOADS;
/**
 * The payload schemas and every kind an outbox row can have: the one list of them (the table has
 * no CHECK on its kind since migration 33), for reading rows back and a damaged mirror (outbox-salvage.ts).
 */
export const OUTBOX_PAYLOADS = PAYLOADS;
export const OUTBOX_ROW_KINDS = Object.keys(PAYLOADS) as [RowKind, ...RowKind[]];

/** Whether a kind read from disk is one this version knows. */
export function isOutboxRowKind(kind: string): kind is RowKind {
  return Object.hasOwn(PAYLOADS, kind);
}

/** A row of a kind this version does not know (written by a newer one, or damaged): it fails by name. */
export class UnknownOutboxKindError extends Error {
  constructor(
    readonly clientId: string,
    readonly kind: string,
  ) {
    super(`Outbox row ${clientId} has a kind this version does not know: ${JSON.stringify(kind)}`);
    this.name = 'UnknownOutboxKindError';
  }
}

function payloadOf<K extends RowKind>(row: { kind: K; payload: string; client_id: string }): z.infer<(typeof PAYLOADS)[K]> {
  if (!isOutboxRowKind(row.kind)) throw new UnknownOutboxKindError(row.client_id, row.kind);
  let json: unknown;
  try {
    json = JSON.parse(row.payload);
  } catch {
    throw new Error(`Outbox row ${row.client_id} (${row.kind}) has a payload that is not JSON`);
  }
  const parsed = PAYLOADS[row.kind].safeParse(json);
  if (!parsed.success)
    throw new Error(`Outbox row ${row.client_id} (${row.kind}) has a malformed payload: ${z.prettifyError(parsed.error)}`);
  return parsed.data as z.infer<(typeof PAYLOADS)[K]>;
}

/** A queued or refused change to a group (or its creation), as the views overlay it. */
export interface QueuedGroupChange {
  clientId: string;
  status: 'pending' | 'failed';
  error: string | null;
  change: { kind: 'create'; conversation: OutboxConversation } | OutboxGroupChange;
}

/** A change still queued (pending or refused), as the views overlay it on the mirror's state. */
export interface QueuedChange {
  clientId: string;
  kind: ChangeKind;
  messageId: string;
  status: 'pending' | 'failed';
  error: string | null;
  text?: string;
  emoji?: string;
  on?: boolean;
}

/** An outbox row as stored, with the columns of its message that the queries join in. */
export interface OutboxRow {
  id: number;
  conversation_id: string;
  client_id: string;
  kind: RowKind;
  message_id: string | null;
  payload: string;
  status: 'pending' | 'failed';
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  text: string | null;
  reply_to: string | null;
  link_preview: string | null;
  sealed: string | null;
  sealed_devices_version: number | null;
  /** A forward's original author (its message's), where the query joined it in. */
  forwarded_from?: string | null;
  /** 1 when the row's message has attachments; absent where the query did not ask (then assumed). */
  has_files?: number;
  /** A queued poll's options (JSON), where the query joined them in. */
  poll?: string | null;
  /** A queued location's point (JSON), where the query joined it in. */
  location?: string | null;
  /** A queued sticker's definition (JSON), where the query joined it in. */
  sticker?: string | null;
  /** The disappearing-message timer its message was written with, where the query joined it in. */
  expires_in_ms?: number | null;
}

/** A queued row as the sender needs it: its message's text, reply, preview, and whether it has files. */
const ENTRY_COLUMNS = `o.*, m.text, m.reply_to, m.link_preview, m.forwarded_from, m.expires_in_ms,
  EXISTS (SELECT 1 FROM attachments a WHERE a.conversation_id = o.conversation_id AND a.message_id = o.message_id) AS has_files,
  (SELECT s.value FROM message_state s WHERE o.kind = 'send' AND s.conversation_id = o.conversation_id AND s.message_id = o.message_id
     AND s.kind = 'poll') AS poll,
  (SELECT s.value FROM message_state s WHERE o.kind = 'send' AND s.conversation_id = o.conversation_id AND s.message_id = o.message_id
     AND s.kind = 'location') AS location,
  (SELECT s.value FROM message_state s WHERE o.kind = 'send' AND s.conversation_id = o.conversation_id AND s.message_id = o.message_id
     AND s.kind = 'sticker') AS sticker`;

/**
 * The durable queue of everything composed locally and not yet acknowledged. Rows are sent per
 * conversation in id order; a refused row turns 'failed' and stops blocking the rows behind it.
 */
export class OutboxStore {
  constructor(private readonly db: Db) {}

  enqueueSend(conversationId: string, messageId: string, forwardOf: ForwardOf | null = null): void {
    cachedStatement(
      this.db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, 'send', ?, ?, 'pending')`,
    ).run(conversationId, messageId, messageId, forwardOf ? JSON.stringify({ forwardOf }) : '{}');
  }

  /** A conversation made here: its creation goes first in its queue, ahead of anything sent to it. */
  enqueueCreate(conversationId: string, conversation: OutboxConversation): void {
    cachedStatement(
      this.db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, 'create', NULL, ?, 'pending')`,
    ).run(conversationId, conversationId, JSON.stringify(conversation));
  }

  enqueueGroupChange(conversationId: string, clientId: string, change: OutboxGroupChange): void {
    cachedStatement(
      this.db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, ?, NULL, ?, 'pending')`,
    ).run(conversationId, clientId, change.kind, JSON.stringify(change));
  }

  /** Queued and refused group changes of a conversation (and its creation), oldest first. */
  queuedGroupChanges(conversationId: string): QueuedGroupChange[] {
    const rows = cachedStatement(
      this.db,
      // kind != 'send' lets SQLite use the partial index outbox_changes: a long queue is mostly sends.
      `SELECT * FROM outbox WHERE conversation_id = ? AND kind != 'send' AND kind IN ${GROUP_ROW_KINDS_SQL} ORDER BY id`,
    ).all(conversationId) as OutboxRow[];
    return rows.map((row) => {
      const entry = toEntry(row);
      const change =
        entry.kind === 'create'
          ? { kind: 'create' as const, conversation: entry.conversation }
          : entry.kind === 'group'
            ? entry.change
            : null;
      if (!change) throw new Error(`Outbox row ${row.client_id} is not a group change`);
      return { clientId: row.client_id, status: row.status, error: row.last_error, change };
    });
  }

  /**
   * A call's entry, queued under a client id made from the call's (clientIdOfCall): queued again,
   * it is the same row, and the server stores one envelope per client id, so the log has it once.
   */
  enqueueCall(conversationId: string, call: CallContent): void {
    cachedStatement(
      this.db,
      `INSERT OR IGNORE INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, 'call', NULL, ?, 'pending')`,
    ).run(conversationId, clientIdOfCall(call.callId), JSON.stringify(call));
  }

  /** Content that changes a message's state, queued behind everything before it. */
  enqueueContent(conversationId: string, clientId: string, content: MessageStateContent): void {
    cachedStatement(
      this.db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, 'content', ?, ?, 'pending')`,
    ).run(conversationId, clientId, content.messageId, JSON.stringify(content));
  }

  /** A timer or policy for the conversation, queued behind everything before it. */
  enqueueSetting(conversationId: string, clientId: string, content: DisappearingContent): void {
    cachedStatement(
      this.db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status)
       VALUES (?, ?, 'conversation_setting', NULL, ?, 'pending')`,
    ).run(conversationId, clientId, JSON.stringify(content));
  }

  /** The conversation's pending timers and policies, oldest first, for the views to overlay. */
  queuedSettings(conversationId: string): { clientId: string; content: DisappearingContent; attempts: number }[] {
    const rows = cachedStatement(
      this.db,
      `SELECT * FROM outbox WHERE conversation_id = ? AND kind != 'send' AND kind = 'conversation_setting' AND status = 'pending'
       ORDER BY id`,
    ).all(conversationId) as OutboxRow[];
    return rows.map((row) => ({
      clientId: row.client_id,
      content: payloadOf({ ...row, kind: 'conversation_setting' }),
      attempts: row.attempts,
    }));
  }

  /** The pending state content about a message, oldest first (a new vote cancels one never sent). */
  pendingStates(
    conversationId: string,
    messageId: string,
  ): { clientId: string; content: MessageStateContent; attempts: number }[] {
    const rows = cachedStatement(
      this.db,
      `SELECT * FROM outbox
       WHERE conversation_id = ? AND kind != 'send' AND message_id = ? AND kind = 'content' AND status = 'pending' ORDER BY id`,
    ).all(conversationId, messageId) as OutboxRow[];
    return rows.map((row) => ({
      clientId: row.client_id,
      content: payloadOf({ ...row, kind: 'content' }),
      attempts: row.attempts,
    }));
  }

  /** The conversation's pending state content (votes, ends), oldest first, for the views to overlay. */
  queuedStates(conversationId: string): QueuedState[] {
    const rows = cachedStatement(
      this.db,
      `SELECT * FROM outbox WHERE conversation_id = ? AND kind != 'send' AND kind = 'content' AND status = 'pending' ORDER BY id`,
    ).all(conversationId) as OutboxRow[];
    return rows.map((row) => {
      const content = payloadOf({ ...row, kind: 'content' });
      return { messageId: content.messageId, content };
    });
  }

  enqueueChange(
    conversationId: string,
    clientId: string,
    kind: ChangeKind,
    messageId: string,
    payload: { text?: string; emoji?: string; on?: boolean },
  ): void {
    cachedStatement(
      this.db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
    ).run(conversationId, clientId, kind, messageId, JSON.stringify(payload));
  }

  /** The next row to send in each conversation: the oldest pending one (failed rows don't block). */
  nextEntries(): OutboxEntry[] {
    const rows = cachedStatement(
      this.db,
      `SELECT ${ENTRY_COLUMNS} FROM outbox o
         LEFT JOIN messages m ON o.kind = 'send' AND m.conversation_id = o.conversation_id AND m.client_message_id = o.message_id
         WHERE o.id IN (SELECT MIN(id) FROM outbox WHERE status = 'pending' GROUP BY conversation_id)
         ORDER BY o.id`,
    ).all() as OutboxRow[];
    return rows.map(toEntry);
  }

  /**
   * The next rows to send in one conversation, in order: up to `limit` pending ones after row
   * `afterId` (0: from the first). An index range, run as a window of sends is filled.
   */
  pendingIn(conversationId: string, afterId: number, limit: number): OutboxEntry[] {
    const rows = cachedStatement(
      this.db,
      `SELECT ${ENTRY_COLUMNS} FROM outbox o
       LEFT JOIN messages m ON o.kind = 'send' AND m.conversation_id = o.conversation_id AND m.client_message_id = o.message_id
       WHERE o.conversation_id = ? AND o.id > ? AND o.status = 'pending' ORDER BY o.id ${BOUND_LIMIT}`,
    ).all(conversationId, afterId, limit) as OutboxRow[];
    return rows.map(toEntry);
  }

  /** A queued row by its client id, as the sender needs it; null when none is queued. */
  queued(clientId: string): OutboxEntry | null {
    const row = cachedStatement(
      this.db,
      `SELECT ${ENTRY_COLUMNS} FROM outbox o
       LEFT JOIN messages m ON o.kind = 'send' AND m.conversation_id = o.conversation_id AND m.client_message_id = o.message_id
       WHERE o.client_id = ?`,
    ).get(clientId) as OutboxRow | undefined;
    return row ? toEntry(row) : null;
  }

  /** The row's envelope, sealed: kept in the transaction that stores the sender key's new state. */
  keepSealed(id: number, sealed: SealedEnvelope): void {
    cachedStatement(this.db, 'UPDATE outbox SET sealed = ?, sealed_devices_version = ? WHERE id = ?').run(
      sealed.ciphertext,
      sealed.devicesVersion,
      id,
    );
  }

  /** The row's content changed (its files uploaded again): it is sealed again when it next goes. */
  forgetSealed(id: number): void {
    cachedStatement(this.db, 'UPDATE outbox SET sealed = NULL, sealed_devices_version = NULL WHERE id = ?').run(id);
  }

  /** The conversation's devices changed: every row of it is sealed again for the current ones when it next goes. */
  forgetSealedIn(conversationId: string): void {
    cachedStatement(
      this.db,
      'UPDATE outbox SET sealed = NULL, sealed_devices_version = NULL WHERE conversation_id = ? AND sealed IS NOT NULL',
    ).run(conversationId);
  }

  pendingCount(): number {
    return (cachedStatement(this.db, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number }).n;
  }

  /**
   * The row is about to go on the wire. From then on the server may hold it whatever becomes of
   * the reply (lost with the connection, or with the process), so `attempts` > 0 means the row can
   * no longer be rewritten or withdrawn locally, only followed by another change.
   */
  markAttempt(id: number): void {
    cachedStatement(this.db, 'UPDATE outbox SET attempts = attempts + 1 WHERE id = ?').run(id);
  }

  /** A transient failure: try again at `nextAttemptAt`. */
  defer(id: number, nextAttemptAt: number, reason: string): void {
    cachedStatement(this.db, 'UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?').run(nextAttemptAt, reason, id);
  }

  /**
   * "Retry now": the row, and every row queued ahead of it in its conversation (they go first),
   * may go at once.
   */
  releaseThrough(conversationId: string, id: number): void {
    cachedStatement(
      this.db,
      "UPDATE outbox SET next_attempt_at = 0 WHERE conversation_id = ? AND id <= ? AND status = 'pending' AND next_attempt_at > 0",
    ).run(conversationId, id);
  }

  /** Everything pending may go now (used when the connection comes back). */
  releaseDeferred(): void {
    cachedStatement(this.db, "UPDATE outbox SET next_attempt_at = 0 WHERE status = 'pending'").run();
  }

  /** A permanent refusal: kept, visible and retryable, but no longer blocking the queue. */
  fail(clientId: string, reason: string): void {
    cachedStatement(this.db, "UPDATE outbox SET status = 'failed', last_error = ? WHERE client_id = ?").run(reason, clientId);
  }

  /** Queues a refused row again, behind everything queued now. Returns its conversation, or null. */
  requeueFailed(clientId: string, kinds: readonly string[]): string | null {
    const row = cachedStatement(this.db, "SELECT * FROM outbox WHERE client_id = ? AND status = 'failed'").get(clientId) as
      OutboxRow | undefined;
    if (!row || !kinds.includes(row.kind)) return null;
    cachedStatement(this.db, 'DELETE FROM outbox WHERE id = ?').run(row.id);
    cachedStatement(
      this.db,
      `INSERT INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
    ).run(row.conversation_id, row.client_id, row.kind, row.message_id, row.payload);
    return row.conversation_id;
  }

  /** The conversation of a refused send: its row stays until the message is retried or discarded. */
  failedSendConversation(messageId: string): string | null {
    const row = cachedStatement(
      this.db,
      "SELECT conversation_id FROM outbox WHERE client_id = ? AND status = 'failed' AND kind = 'send'",
    ).get(messageId) as { conversation_id: string } | undefined;
    return row?.conversation_id ?? null;
  }

  /** Drops a refused change. Returns its conversation, or null. */
  discardFailedChange(clientId: string): string | null {
    const row = cachedStatement(
      this.db,
      "SELECT conversation_id FROM outbox WHERE client_id = ? AND status = 'failed' AND kind != 'send'",
    ).get(clientId) as { conversation_id: string } | undefined;
    if (!row) return null;
    cachedStatement(this.db, 'DELETE FROM outbox WHERE client_id = ?').run(clientId);
    return row.conversation_id;
  }

  /** The send row of a message, if it is still queued. */
  sendRow(conversationId: string, messageId: string): { status: 'pending' | 'failed'; attempts: number } | null {
    return (
      (cachedStatement(
        this.db,
        // A send's client id is its message's id: found by the unique key.
        "SELECT status, attempts FROM outbox WHERE client_id = @messageId AND conversation_id = @conversationId AND kind = 'send'",
      ).get({ conversationId, messageId }) as { status: 'pending' | 'failed'; attempts: number } | undefined) ?? null
    );
  }

  /** Withdraws an unsent message: its send row and every change queued against it. */
  withdraw(conversationId: string, messageId: string): void {
    cachedStatement(this.db, "DELETE FROM outbox WHERE client_id = ? AND conversation_id = ? AND kind = 'send'").run(
      messageId,
      conversationId,
    );
    cachedStatement(this.db, "DELETE FROM outbox WHERE conversation_id = ? AND kind != 'send' AND message_id = ?").run(
      conversationId,
      messageId,
    );
  }

  /** The pending pin rows of a message, oldest first (a toggle back cancels one never sent). */
  pendingPins(conversationId: string, messageId: string): { clientId: string; on: boolean; attempts: number }[] {
    const rows = cachedStatement(
      this.db,
      `SELECT client_id, payload, attempts FROM outbox
       WHERE conversation_id = ? AND kind != 'send' AND message_id = ? AND kind = 'pin' AND status = 'pending' ORDER BY id`,
    ).all(conversationId, messageId) as { client_id: string; payload: string; attempts: number }[];
    return rows.map((row) => ({
      clientId: row.client_id,
      on: payloadOf({ kind: 'pin', payload: row.payload, client_id: row.client_id }).on,
      attempts: row.attempts,
    }));
  }

  /** The pending reaction rows for one emoji on a message, oldest first (to cancel a toggle). */
  pendingReactions(
    conversationId: string,
    messageId: string,
    emoji: string,
  ): { clientId: string; on: boolean; attempts: number }[] {
    const rows = cachedStatement(
      this.db,
      `SELECT client_id, payload, attempts FROM outbox
       WHERE conversation_id = ? AND kind != 'send' AND message_id = ? AND kind = 'reaction' AND status = 'pending' ORDER BY id`,
    ).all(conversationId, messageId) as { client_id: string; payload: string; attempts: number }[];
    return rows
      .map((row) => ({ row, payload: payloadOf({ kind: 'reaction', payload: row.payload, client_id: row.client_id }) }))
      .filter(({ payload }) => payload.emoji === emoji)
      .map(({ row, payload }) => ({ clientId: row.client_id, on: payload.on, attempts: row.attempts }));
  }

  remove(clientId: string): void {
    cachedStatement(this.db, 'DELETE FROM outbox WHERE client_id = ?').run(clientId);
  }

  /** What was queued under `clientId` is on the server: the row goes (outboxRowArrived). */
  arrived(clientId: string): void {
    outboxRowArrived(this.db, clientId);
  }

  /** Every queued change of a conversation, oldest first, for the views to overlay. */
  queuedChanges(conversationId: string): QueuedChange[] {
    const rows = cachedStatement(
      this.db,
      // kind != 'send' lets SQLite use the partial index outbox_changes: a long queue is mostly sends.
      `SELECT * FROM outbox WHERE conversation_id = ? AND kind != 'send' AND kind IN ${CHANGE_KINDS_SQL} ORDER BY id`,
    ).all(conversationId) as OutboxRow[];
    return rows.map((row) => {
      const entry = toEntry(row);
      const base = { clientId: row.client_id, status: row.status, error: row.last_error };
      switch (entry.kind) {
        case 'edit':
          return { ...base, kind: 'edit', messageId: entry.messageId, text: entry.text };
        case 'delete':
          return { ...base, kind: 'delete', messageId: entry.messageId };
        case 'reaction':
          return { ...base, kind: 'reaction', messageId: entry.messageId, emoji: entry.emoji, on: entry.on };
        case 'pin':
          return { ...base, kind: 'pin', messageId: entry.messageId, on: entry.on };
        case 'send':
        case 'create':
        case 'group':
        case 'call':
        case 'content':
        case 'conversation_setting':
          throw new Error(`Outbox row ${row.client_id} is not a change to a message`);
      }
    });
  }
}

/** A row read back, its payload checked: what the sender sends, and the inspector lists. */
/**
 * What was queued under `clientId` is on the server (acknowledged, or its event arrived): the row
 * goes. A group's creation names the group only here; the server was not told it (outbox-sender.ts),
 * so the name is queued behind it as a rename, which goes sealed. Its id is the group's with
 * `:name`, so it is queued once whichever way the creation is learned of.
 */
export function outboxRowArrived(db: Db, clientId: string): void {
  const created = cachedStatement(db, "SELECT conversation_id, payload FROM outbox WHERE client_id = ? AND kind = 'create'").get(
    clientId,
  ) as { conversation_id: string; payload: string } | undefined;
  cachedStatement(db, 'DELETE FROM outbox WHERE client_id = ?').run(clientId);
  if (!created) return;
  const conversation = payloadOf({ kind: 'create', payload: created.payload, client_id: clientId });
  if (conversation.kind !== 'group' || conversation.name === undefined) return;
  // A rename queued meanwhile names it already, and later.
  const renamed = cachedStatement(
    db,
    "SELECT 1 FROM outbox WHERE conversation_id = ? AND kind = 'rename' AND status = 'pending'",
  ).get(created.conversation_id);
  if (renamed) return;
  cachedStatement(
    db,
    `INSERT OR IGNORE INTO outbox (conversation_id, client_id, kind, message_id, payload, status) VALUES (?, ?, 'rename', NULL, ?, 'pending')`,
  ).run(created.conversation_id, `${created.conversation_id}:name`, JSON.stringify({ kind: 'rename', name: conversation.name }));
}

/** A message was deleted for everyone: our own queued edits, reactions, pins and votes on it can never apply now. */
export function voidQueuedChanges(db: Db, conversationId: string, messageId: string): void {
  cachedStatement(
    db,
    `DELETE FROM outbox WHERE conversation_id = ? AND kind != 'send' AND message_id = ? AND kind IN ${VOIDED_BY_DELETE_SQL}`,
  ).run(conversationId, messageId);
}

export function toEntry(row: OutboxRow): OutboxEntry {
  // The column has no CHECK (migration 33): a kind is judged here, against PAYLOADS.
  if (!isOutboxRowKind(row.kind)) throw new UnknownOutboxKindError(row.client_id, row.kind);
  const base = {
    id: row.id,
    conversationId: row.conversation_id,
    clientId: row.client_id,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    sealed: row.sealed === null ? null : { ciphertext: row.sealed, devicesVersion: row.sealed_devices_version },
  };
  switch (row.kind) {
    case 'send': {
      // Most sends keep nothing in their payload: no parse for them (a long queue is mostly sends).
      const forwardOf = row.payload === '{}' ? null : (payloadOf({ ...row, kind: 'send' }).forwardOf ?? null);
      return {
        ...base,
        kind: 'send',
        messageId: messageIdOf(row),
        text: row.text ?? '',
        replyTo: row.reply_to,
        forwardOf,
        linkPreview: row.link_preview === null || row.link_preview === undefined ? null : linkPreviewOf(row),
        forwardedFrom: row.forwarded_from ?? null,
        hasFiles: row.has_files !== 0,
        poll: row.poll === null || row.poll === undefined ? null : pollOfRow(row, row.poll),
        location: row.location === null || row.location === undefined ? null : locationOfRow(row, row.location),
        sticker: row.sticker === null || row.sticker === undefined ? null : stickerOfRow(row, row.sticker),
        expiresInMs: timerOfRow(row),
      };
    }
    case 'edit':
      return { ...base, kind: 'edit', messageId: messageIdOf(row), text: payloadOf({ ...row, kind: 'edit' }).text };
    case 'delete':
      return { ...base, kind: 'delete', messageId: messageIdOf(row) };
    case 'reaction': {
      const payload = payloadOf({ ...row, kind: 'reaction' });
      return { ...base, kind: 'reaction', messageId: messageIdOf(row), emoji: payload.emoji, on: payload.on };
    }
    case 'pin':
      return { ...base, kind: 'pin', messageId: messageIdOf(row), on: payloadOf({ ...row, kind: 'pin' }).on };
    case 'create':
      return { ...base, kind: 'create', conversation: payloadOf({ ...row, kind: 'create' }) };
    case 'add_members':
    case 'remove_member':
    case 'leave':
    case 'rename':
    case 'set_role': {
      const change = payloadOf({ ...row, kind: row.kind });
      if (change.kind !== row.kind) throw new Error(`Outbox row ${row.client_id} holds a ${change.kind} as a ${row.kind}`);
      return { ...base, kind: 'group', change };
    }
    case 'call':
      return { ...base, kind: 'call', call: payloadOf({ ...row, kind: 'call' }) };
    case 'content': {
      const content = payloadOf({ ...row, kind: 'content' });
      return { ...base, kind: 'content', messageId: content.messageId, content };
    }
    case 'conversation_setting':
      return { ...base, kind: 'conversation_setting', content: payloadOf({ ...row, kind: 'conversation_setting' }) };
  }
}

/** A queued message's timer, checked when read back: a damaged one fails loudly instead of going without it. */
function timerOfRow(row: OutboxRow): number | null {
  if (row.expires_in_ms === null || row.expires_in_ms === undefined) return null;
  const parsed = disappearingTimerMs.safeParse(row.expires_in_ms);
  if (!parsed.success)
    throw new Error(`Outbox row ${row.client_id} (send) has a disappearing timer that is not one: ${row.expires_in_ms}`);
  return parsed.data;
}

/** A queued poll's options, checked when read back: a damaged poll fails loudly instead of going as a plain message. */
function pollOfRow(row: OutboxRow, json: string): PollDefinition {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`Outbox row ${row.client_id} (send) has poll options that are not JSON`);
  }
  const parsed = pollDefinitionSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(`Outbox row ${row.client_id} (send) has malformed poll options: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A queued location's point, checked when read back: a damaged one fails loudly instead of going as a plain message. */
function locationOfRow(row: OutboxRow, json: string): LocationDefinition {
  const location = parsedLocation(json);
  if (!location) throw new Error(`Outbox row ${row.client_id} (send) has a malformed location`);
  return location;
}

/** A queued sticker's definition, checked when read back: a damaged one fails loudly instead of going as a plain image. */
function stickerOfRow(row: OutboxRow, json: string): StickerDefinition {
  const sticker = parsedStickerDefinition(json);
  if (!sticker) throw new Error(`Outbox row ${row.client_id} (send) has a malformed sticker`);
  return sticker;
}

/** The client id of a call's entry: the call's own id, so each call is in the log once. */
export function clientIdOfCall(callId: string): string {
  return `call-${callId}`;
}

function messageIdOf(row: OutboxRow): string {
  if (row.message_id === null) throw new Error(`Outbox row ${row.client_id} (${row.kind}) names no message`);
  return row.message_id;
}

/** A queued message's link preview (kept on its message row), checked when read back like every payload. */
function linkPreviewOf(row: OutboxRow): LinkPreview {
  let json: unknown;
  try {
    json = JSON.parse(row.link_preview ?? '');
  } catch {
    throw new Error(`Outbox row ${row.client_id} (send) has a link preview that is not JSON`);
  }
  const parsed = linkPreviewSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`Outbox row ${row.client_id} (send) has a malformed link preview: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
