/**
 * Reads a client mirror (mirror.sqlite) or the server database (server.sqlite) straight from disk,
 * read-only, the way a crash test looks at what a killed process left behind. Opening read-only
 * never checkpoints or rewrites anything, so the next process still does its own crash recovery.
 * Works while the owning process runs too (WAL lets readers in).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';

function withReadOnly<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return read(db);
  } finally {
    db.close();
  }
}

/** Reads a profile's mirror through a connection of its own, as it is committed. */
export function withMirrorOf<T>(profileDir: string, read: (db: Database.Database) => T): T {
  return withReadOnly(join(profileDir, 'mirror.sqlite'), read);
}

function integrity(db: Database.Database): string {
  return (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('; ');
}

// -- client mirror ---------------------------------------------------------------------------

export interface MirrorMessage {
  conversationId: string;
  id: string;
  senderId: string;
  text: string;
  seq: number | null;
  state: string;
}

export interface MirrorSnapshot {
  integrity: string;
  conversations: { id: string; appliedSeq: number; knownSeq: number }[];
  /** Every message row, by conversation then seq (unacknowledged ones last, in composition order). */
  messages: MirrorMessage[];
  outbox: { id: number; conversationId: string; clientId: string; kind: string; messageId: string; status: string }[];
  heldEvents: number;
}

export function readMirror(profileDir: string): MirrorSnapshot {
  return withReadOnly(join(profileDir, 'mirror.sqlite'), (db) => ({
    integrity: integrity(db),
    conversations: db
      .prepare('SELECT id, applied_seq AS appliedSeq, known_seq AS knownSeq FROM conversations ORDER BY id')
      .all() as MirrorSnapshot['conversations'],
    messages: db
      .prepare(
        `SELECT conversation_id AS conversationId, client_message_id AS id, sender_id AS senderId, text, seq, state
         FROM messages ORDER BY conversation_id, seq IS NULL, seq, local_id`,
      )
      .all() as MirrorMessage[],
    outbox: db
      .prepare(
        'SELECT id, conversation_id AS conversationId, client_id AS clientId, kind, message_id AS messageId, status FROM outbox ORDER BY id',
      )
      .all() as MirrorSnapshot['outbox'],
    heldEvents: (db.prepare('SELECT COUNT(*) AS n FROM held_events').get() as { n: number }).n,
  }));
}

/**
 * What must hold in any mirror at any moment, crash or not, for workloads that only send messages
 * (so every seq up to the cursor is a message row). Returns a list of violations; empty is good.
 */
export function mirrorProblems(snapshot: MirrorSnapshot, selfId: string): string[] {
  const problems: string[] = [];
  if (snapshot.integrity !== 'ok') problems.push(`integrity_check: ${snapshot.integrity}`);
  if (snapshot.heldEvents !== 0) problems.push(`${snapshot.heldEvents} held events in a message-only workload`);
  const ids = new Set<string>();
  for (const message of snapshot.messages) {
    const key = `${message.conversationId}/${message.id}`;
    if (ids.has(key)) problems.push(`message ${key} stored twice`);
    ids.add(key);
  }
  for (const conversation of snapshot.conversations) {
    const messages = snapshot.messages.filter((m) => m.conversationId === conversation.id);
    const seqs = messages.map((m) => m.seq).filter((seq): seq is number => seq !== null);
    if (new Set(seqs).size !== seqs.length) problems.push(`${conversation.id}: a seq is held by two messages`);
    const below = seqs.filter((seq) => seq <= conversation.appliedSeq);
    if (below.length !== conversation.appliedSeq) {
      problems.push(
        `${conversation.id}: cursor at ${conversation.appliedSeq} but only ${below.length} messages at or below it (a gap under the cursor)`,
      );
    }
    if (conversation.knownSeq < conversation.appliedSeq) {
      problems.push(`${conversation.id}: known_seq ${conversation.knownSeq} below applied_seq ${conversation.appliedSeq}`);
    }
    const foreignAbove = messages.filter((m) => m.seq !== null && m.seq > conversation.appliedSeq && m.senderId !== selfId);
    if (foreignAbove.length > 0) {
      problems.push(`${conversation.id}: messages of others above the cursor: ${foreignAbove.map((m) => m.seq).join(',')}`);
    }
  }
  const outboxByClientId = new Map(snapshot.outbox.map((row) => [row.clientId, row]));
  for (const message of snapshot.messages) {
    if (message.seq !== null) {
      if (message.state !== 'sent') problems.push(`${message.id} has seq ${message.seq} but state ${message.state}`);
      if (outboxByClientId.has(message.id)) problems.push(`${message.id} is acknowledged (seq ${message.seq}) but still queued`);
      continue;
    }
    if (message.senderId !== selfId) problems.push(`${message.id} from someone else has no seq`);
    const row = outboxByClientId.get(message.id);
    if (!row) problems.push(`${message.id} (${message.text}) is unacknowledged but not in the outbox: it would never be sent`);
    else if (row.status !== 'pending') problems.push(`${message.id} (${message.text}) is ${row.status} in the outbox`);
  }
  for (const row of snapshot.outbox) {
    if (row.kind !== 'send') continue;
    if (!ids.has(`${row.conversationId}/${row.messageId}`)) problems.push(`outbox row ${row.clientId} has no message`);
  }
  return problems;
}

// -- server ----------------------------------------------------------------------------------

export interface ServerEvent {
  conversationId: string;
  seq: number;
  kind: string;
  senderId: string;
  clientId: string;
  text: string;
}

export interface ServerSnapshot {
  integrity: string;
  conversations: { id: string; lastSeq: number }[];
  /** Every event, by conversation then seq. */
  events: ServerEvent[];
  /** COUNT(*) − COUNT(DISTINCT sender_id, client_id) over the event log: must be 0. */
  duplicateClientIds: number;
  /** The conversations whose stored member count is not their members rows: must be none. */
  memberCounts: MemberCountMismatch[];
}

export interface MemberCountMismatch {
  id: string;
  memberCount: number;
  members: number;
}

/** The conversations whose member_count is not their number of members rows (SQL both stores understand). */
export const MEMBER_COUNT_MISMATCHES = `
  SELECT id, "memberCount", members FROM (
    SELECT c.id, c.member_count AS "memberCount",
           CAST((SELECT COUNT(*) FROM members m WHERE m.conversation_id = c.id) AS INTEGER) AS members
    FROM conversations c) AS counted
  WHERE "memberCount" <> members ORDER BY id`;

/** A problem for each conversation whose stored member count is wrong. */
export function memberCountProblems(mismatches: readonly MemberCountMismatch[]): string[] {
  return mismatches.map(({ id, memberCount, members }) => `${id}: member_count ${memberCount} but ${members} members rows`);
}

export function readServer(dataDir: string): ServerSnapshot {
  return withReadOnly(join(dataDir, 'server.sqlite'), (db) => ({
    integrity: integrity(db),
    conversations: db
      .prepare('SELECT id, last_seq AS lastSeq FROM conversations ORDER BY id')
      .all() as ServerSnapshot['conversations'],
    events: db
      .prepare(
        `SELECT conversation_id AS conversationId, seq, kind, sender_id AS senderId, client_id AS clientId, text
         FROM events ORDER BY conversation_id, seq`,
      )
      .all() as ServerEvent[],
    duplicateClientIds: (
      db
        .prepare('SELECT COUNT(*) - (SELECT COUNT(*) FROM (SELECT DISTINCT sender_id, client_id FROM events)) AS n FROM events')
        .get() as { n: number }
    ).n,
    memberCounts: db.prepare(MEMBER_COUNT_MISMATCHES).all() as MemberCountMismatch[],
  }));
}

/**
 * Server invariants: integrity, no (sender, client id) twice, seqs 1..n per conversation matching
 * last_seq, and each conversation's member_count equal to its members rows.
 */
export function serverProblems(snapshot: ServerSnapshot): string[] {
  const problems: string[] = [];
  if (snapshot.integrity !== 'ok') problems.push(`integrity_check: ${snapshot.integrity}`);
  problems.push(...memberCountProblems(snapshot.memberCounts));
  if (snapshot.duplicateClientIds !== 0) problems.push(`${snapshot.duplicateClientIds} events repeat a (sender, client id)`);
  for (const conversation of snapshot.conversations) {
    const seqs = snapshot.events.filter((e) => e.conversationId === conversation.id).map((e) => e.seq);
    const expected = Array.from({ length: conversation.lastSeq }, (_, i) => i + 1);
    if (seqs.length !== expected.length || seqs.some((seq, i) => seq !== expected[i])) {
      problems.push(
        `${conversation.id}: seqs are not 1..${conversation.lastSeq} (got ${seqs.length} events, first gap near ${seqs.find((s, i) => s !== i + 1)})`,
      );
    }
  }
  return problems;
}

/** The attachment rows of a mirror, with where their transfers stand. */
export interface MirrorAttachment {
  conversationId: string;
  messageId: string;
  index: number;
  attachmentId: string | null;
  sha256: string;
  size: number;
  uploadUrl: string | null;
  uploadOffset: number;
  uploadState: string | null;
  downloadState: string;
}

/** Who the profile's mirror is signed in as (its session's user id). */
export function mirrorUserId(profileDir: string): string {
  return withReadOnly(join(profileDir, 'mirror.sqlite'), (db) => {
    const row = db.prepare('SELECT user_id FROM session WHERE id = 1').get() as { user_id: string } | undefined;
    if (!row) throw new Error(`The mirror in ${profileDir} has no session`);
    return row.user_id;
  });
}

/** The envelopes the mirror keeps unopened (their key not here), as conversation and seq. */
export function envelopesWaiting(profileDir: string): { conversationId: string; seq: number }[] {
  return withReadOnly(
    join(profileDir, 'mirror.sqlite'),
    (db) =>
      db.prepare('SELECT conversation_id AS conversationId, seq FROM envelopes_waiting ORDER BY conversation_id, seq').all() as {
        conversationId: string;
        seq: number;
      }[],
  );
}

export function readMirrorAttachments(profileDir: string): MirrorAttachment[] {
  return withReadOnly(
    join(profileDir, 'mirror.sqlite'),
    (db) =>
      db
        .prepare(
          `SELECT conversation_id AS conversationId, message_id AS messageId, ordinal AS "index", attachment_id AS attachmentId,
             sha256, size, upload_url AS uploadUrl, upload_offset AS uploadOffset, upload_state AS uploadState,
             download_state AS downloadState
           FROM attachments ORDER BY conversation_id, message_id, ordinal`,
        )
        .all() as MirrorAttachment[],
  );
}
