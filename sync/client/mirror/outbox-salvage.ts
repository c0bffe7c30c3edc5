/**
 * Reads what can still be read of the outbox of a mirror that could not be opened: row by row,
 * each read on its own so a damaged page costs only the rows on it, and every value checked
 * against its schema (nothing read from a damaged file is trusted). Works on a copy, so the
 * damaged file itself is never written to; the copy is removed afterwards.
 *
 * What is carried over: unsent messages without files (their text, reply and link preview),
 * creations of conversations and changes queued behind them, with their client ids, so a message
 * the server already has is not stored twice. A message with files is counted as not recovered:
 * its attachments' upload state lived in the lost file. Nothing is carried over without the
 * account it belongs to (the session row), so it can never be sent as someone else.
 */
import { copyFileSync, existsSync, rmSync, closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import { z } from 'zod';
import { disappearingTimerMs } from '../../protocol/disappearing.js';
import { linkPreviewSchema, messageText, userSchema, type LinkPreview, type User } from '../../protocol/frames.js';
import { applyDatabaseKey } from '../../node/database-key.js';
import type { Db } from '../../node/sqlite.js';
import { OUTBOX_PAYLOADS, OUTBOX_ROW_KINDS } from './outbox-store.js';

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface SalvagedConversation {
  id: string;
  kind: 'direct' | 'group';
  name: string | null;
  peerId: string | null;
  createdAt: number;
}

/** One outbox row to queue again, in its old order. A send brings its message's own columns. */
export interface SalvagedRow {
  conversationId: string;
  clientId: string;
  kind: (typeof OUTBOX_ROW_KINDS)[number];
  messageId: string | null;
  /** JSON, checked against the kind's payload schema. */
  payload: string;
  message: {
    text: string;
    replyTo: string | null;
    linkPreview: LinkPreview | null;
    createdAt: number;
    /** Its disappearing-message timer: salvaged, it still goes with the timer it was written with. */
    expiresInMs?: number;
  } | null;
}

export interface SalvagedOutbox {
  /** The account the outbox belongs to (its token is not kept: signing in again is needed). */
  account: { serverUrl: string; user: User };
  conversations: SalvagedConversation[];
  rows: SalvagedRow[];
}

export interface SalvageResult {
  /** Null when nothing could be carried over. */
  outbox: SalvagedOutbox | null;
  recoveredMessages: number;
  /** Rows seen but not carried over; null when the outbox could not be read far enough to count. */
  unrecoverable: number | null;
}

export interface SalvageOptions {
  /** The key the mirror was encrypted with, when it was. */
  key?: Uint8Array;
  nativeBinding?: string;
}

const sessionRow = z.object({
  server_url: z.string().min(1),
  user_id: z.string().min(1),
  username: z.string().min(1),
  display_name: z.string(),
});

const outboxRow = z.object({
  conversation_id: z.string().min(1),
  client_id: z.string().min(1),
  kind: z.enum(OUTBOX_ROW_KINDS),
  message_id: z.string().min(1).nullable(),
  payload: z.string(),
  status: z.enum(['pending', 'failed']),
});

const messageRow = z.object({
  sender_id: z.string().min(1),
  text: messageText,
  reply_to: z.string().min(1).nullable(),
  link_preview: z.string().nullable(),
  created_at: z.number().int(),
  // Absent in a mirror from before disappearing messages (migration 35).
  expires_in_ms: disappearingTimerMs.nullable().optional(),
});

const conversationRow = z.object({
  id: z.string().min(1),
  kind: z.enum(['direct', 'group']),
  name: z.string().nullable(),
  peer_id: z.string().nullable(),
  created_at: z.number().int(),
});

const NOTHING: SalvageResult = { outbox: null, recoveredMessages: 0, unrecoverable: null };

/** Salvages the outbox of the damaged mirror at `damagedPath` (its -wal beside it is used too). */
export function salvageOutbox(damagedPath: string, options: SalvageOptions = {}): SalvageResult {
  const copy = `${damagedPath}.salvage`;
  const cleanUp = () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${copy}${suffix}`, { force: true });
  };
  cleanUp();
  try {
    copyFileSync(damagedPath, copy);
    if (existsSync(`${damagedPath}-wal`)) copyFileSync(`${damagedPath}-wal`, `${copy}-wal`);
    const db = openCopy(copy, options);
    if (!db) return NOTHING;
    try {
      return readOutbox(db);
    } finally {
      db.close();
    }
  } catch {
    // Whatever else went wrong (no space for the copy, say): nothing salvaged, the file is still kept.
    return NOTHING;
  } finally {
    cleanUp();
  }
}

/**
 * The copy opened so that its schema can be read, or null: with the key, else as a plain file (one
 * from before encryption at rest), else as a plain file whose torn first 16 bytes are mended.
 */
function openCopy(copy: string, options: SalvageOptions): Db | null {
  const attempt = (key: Uint8Array | undefined): Db | null => {
    const db = new Database(copy, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    try {
      if (key) applyDatabaseKey(db, key);
      db.pragma('query_only = ON');
      db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      return db;
    } catch {
      db.close();
      return null;
    }
  };
  const opened = (options.key ? attempt(options.key) : null) ?? attempt(undefined);
  if (opened) return opened;
  // An unencrypted file whose header's magic string was overwritten is otherwise intact.
  const fd = openSync(copy, 'r+');
  try {
    writeSync(fd, PLAIN_HEADER, 0, PLAIN_HEADER.length, 0);
  } finally {
    closeSync(fd);
  }
  return attempt(undefined);
}

/** Runs one read; a damaged page makes it throw, which counts as "not readable", never as "absent". */
function tryRead<T>(read: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: read() };
  } catch {
    return { ok: false };
  }
}

function readOutbox(db: Db): SalvageResult {
  const ids = outboxIds(db);
  if (!ids) return NOTHING;
  const session = tryRead(() => db.prepare('SELECT server_url, user_id, username, display_name FROM session WHERE id = 1').get());
  const account = session.ok ? sessionRow.safeParse(session.value) : null;
  const user = account?.success
    ? userSchema.safeParse({ id: account.data.user_id, username: account.data.username, displayName: account.data.display_name })
    : null;

  const rows: SalvagedRow[] = [];
  const conversations = new Map<string, SalvagedConversation>();
  let unrecoverable = ids.unreadable;
  let recoveredMessages = 0;
  for (const id of ids.ids) {
    const row = user?.success ? readRow(db, id, user.data.id, conversations) : null;
    if (!row) {
      unrecoverable++;
      continue;
    }
    rows.push(row);
    if (row.kind === 'send') recoveredMessages++;
  }
  if (!user?.success || !account?.success || rows.length === 0) {
    return { outbox: null, recoveredMessages: 0, unrecoverable: ids.complete ? unrecoverable : null };
  }
  return {
    outbox: {
      account: { serverUrl: account.data.server_url, user: user.data },
      conversations: [...conversations.values()],
      rows,
    },
    recoveredMessages,
    unrecoverable: ids.complete ? unrecoverable : null,
  };
}

/**
 * The outbox's row ids. The index on (conversation_id, id) holds every id apart from the table's
 * own pages, so a damaged table page still leaves its rows counted; when the index is damaged
 * too, the table is walked as far as it goes and the count is not complete.
 */
function outboxIds(db: Db): { ids: number[]; unreadable: number; complete: boolean } | null {
  const fromIndex = tryRead(() =>
    db
      .prepare('SELECT id FROM outbox INDEXED BY outbox_by_conversation ORDER BY id')
      .pluck()
      .all()
      .filter((id): id is number => typeof id === 'number'),
  );
  if (fromIndex.ok) return { ids: fromIndex.value, unreadable: 0, complete: true };
  const ids: number[] = [];
  try {
    for (const id of db.prepare('SELECT id FROM outbox NOT INDEXED ORDER BY id').pluck().iterate()) {
      if (typeof id === 'number') ids.push(id);
    }
  } catch {
    // Walked as far as the damage allowed.
    return ids.length > 0 ? { ids, unreadable: 0, complete: false } : null;
  }
  return { ids, unreadable: 0, complete: true };
}

function readRow(db: Db, id: number, selfId: string, conversations: Map<string, SalvagedConversation>): SalvagedRow | null {
  const read = tryRead(() => db.prepare('SELECT * FROM outbox NOT INDEXED WHERE id = ?').get(id));
  if (!read.ok) return null;
  const row = outboxRow.safeParse(read.value);
  if (!row.success || !validPayload(row.data.kind, row.data.payload)) return null;
  const conversation = conversationOf(db, row.data.conversation_id, conversations);
  if (!conversation) return null;
  const { conversation_id: conversationId, client_id: clientId, kind, message_id: messageId, payload } = row.data;
  if (kind !== 'send') return { conversationId, clientId, kind, messageId, payload, message: null };
  if (messageId === null || messageId !== clientId) return null;
  const message = sentMessage(db, conversationId, messageId, selfId);
  return message ? { conversationId, clientId, kind, messageId, payload, message } : null;
}

function validPayload(kind: (typeof OUTBOX_ROW_KINDS)[number], payload: string): boolean {
  try {
    return OUTBOX_PAYLOADS[kind].safeParse(JSON.parse(payload)).success;
  } catch {
    return false;
  }
}

function conversationOf(db: Db, id: string, known: Map<string, SalvagedConversation>): SalvagedConversation | null {
  const seen = known.get(id);
  if (seen) return seen;
  const read = tryRead(() => db.prepare('SELECT id, kind, name, peer_id, created_at FROM conversations WHERE id = ?').get(id));
  if (!read.ok) return null;
  const row = conversationRow.safeParse(read.value);
  if (!row.success) return null;
  const conversation = {
    id: row.data.id,
    kind: row.data.kind,
    name: row.data.name,
    peerId: row.data.peer_id,
    createdAt: row.data.created_at,
  };
  known.set(id, conversation);
  return conversation;
}

/** An own unsent message without files, as stored; null when it cannot be read whole. */
function sentMessage(db: Db, conversationId: string, messageId: string, selfId: string): SalvagedRow['message'] {
  const read = tryRead(() =>
    db
      .prepare(
        // Every column: a damaged mirror may be from before some of them.
        `SELECT * FROM messages WHERE conversation_id = ? AND client_message_id = ? AND seq IS NULL`,
      )
      .get(conversationId, messageId),
  );
  if (!read.ok) return null;
  const row = messageRow.safeParse(read.value);
  if (!row.success || row.data.sender_id !== selfId) return null;
  const files = tryRead(() =>
    db
      .prepare('SELECT COUNT(*) FROM attachments WHERE conversation_id = ? AND message_id = ?')
      .pluck()
      .get(conversationId, messageId),
  );
  if (!files.ok || files.value !== 0) return null;
  let linkPreview: LinkPreview | null = null;
  if (row.data.link_preview !== null) {
    const parsed = tryRead(() => linkPreviewSchema.safeParse(JSON.parse(row.data.link_preview ?? '')));
    if (!parsed.ok || !parsed.value.success) return null;
    linkPreview = parsed.value.data;
  }
  const { expires_in_ms: expiresInMs } = row.data;
  return {
    text: row.data.text,
    replyTo: row.data.reply_to,
    linkPreview,
    createdAt: row.data.created_at,
    ...(expiresInMs ? { expiresInMs } : {}),
  };
}
