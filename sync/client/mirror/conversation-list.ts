import type { ConversationKind, ConversationSummary } from '../../app-api/contract.js';
import { ATTACHMENT_KINDS, type AttachmentKind } from '../../protocol/attachments.js';
import { renameSchema } from '../../content/content.js';
import { outboxConversationSchema } from './outbox-store.js';
import { lastCallView } from './call-entries.js';
import { requestStanding } from '../../protocol/request-rules.js';
import { isInArchive } from '../../content/personal-settings.js';
import { DELETED_REQUEST_SQL, OPEN_REQUEST_SQL, requestAnswerOf } from './request-standing.js';
import { BOUND_LIMIT, cachedStatement, cachedValueStatement, type Db } from '../../node/sqlite.js';

/**
 * The conversation list, read from the conversation rows (which carry everything it shows, kept
 * per batch since migration 3) and kept in memory between reads. The renderer reads the whole list
 * after every change, so each read re-reads only the rows written since the last one: temporary
 * triggers note every conversation row written, and every one whose peer or last sender was
 * renamed, in a table of this connection. A rolled-back write rolls its notes back with it. A
 * write through another connection (which fires no trigger here) makes the next read a full one.
 */

/** Which list: the main one (not in the archive), the "Archived" one, "Message requests", or all of them. */
export type Folder = 'main' | 'archived' | 'requests' | 'all';

/** Above this many changed rows one full read is cheaper than reading each. */
const FULL_READ_ABOVE = 500;

/**
 * A group whose name has not reached this device yet (it comes sealed, just behind the group's
 * creation or the addition that brought us in) goes by its first members' names meanwhile.
 */
const UNNAMED_GROUP_TITLE = `CASE WHEN c.kind = 'group' AND c.name IS NULL THEN
    (SELECT group_concat(display_name, ', ') FROM
      (SELECT n.display_name FROM members m JOIN users n ON n.id = m.user_id
       WHERE m.conversation_id = c.id AND m.active = 1 ORDER BY m.join_order, m.user_id LIMIT 4)) END`;

const COLUMNS = `c.id, c.kind, c.name, c.last_activity_at, c.unread_count, c.unread_mentions, c.member_count, c.is_member,
  c.peer_id, u.username, u.display_name, c.last_preview, c.last_sender_id, c.last_sender_name, c.last_deleted, c.last_at,
  c.last_attachment_kind, c.last_attachment_name, c.archived, c.archived_seq, c.muted, c.last_incoming_seq, c.draft_preview,
  c.blocked, c.request_from, c.request_answer, c.request_seq, r.display_name, ${UNNAMED_GROUP_TITLE}, c.last_call, c.disappearing_ms,
  (SELECT s.kind FROM messages lm JOIN message_state s
            ON s.conversation_id = lm.conversation_id AND s.message_id = lm.client_message_id AND s.kind IN ('poll', 'location', 'sticker')
          WHERE lm.local_id = c.last_message_local_id LIMIT 1)
  FROM conversations c LEFT JOIN users u ON u.id = c.peer_id LEFT JOIN users r ON r.id = c.request_from`;

/**
 * In the "Archived" list: isInArchive (content/personal-settings.ts) in SQL, over the columns the list's
 * index holds, so a screen of one folder is read from the index alone.
 */
const IN_ARCHIVE = '(c.archived = 1 AND (c.muted = 1 OR c.last_incoming_seq <= c.archived_seq))';
const ORDINARY = `NOT ${DELETED_REQUEST_SQL} AND NOT ${OPEN_REQUEST_SQL}`;
const FOLDER_FILTER: Record<Folder, string> = {
  main: `${ORDINARY} AND NOT ${IN_ARCHIVE}`,
  archived: `${ORDINARY} AND ${IN_ARCHIVE}`,
  requests: `NOT ${DELETED_REQUEST_SQL} AND ${OPEN_REQUEST_SQL}`,
  all: `NOT ${DELETED_REQUEST_SQL}`,
};

/** One row as an array (better-sqlite3's raw mode): building 10,000 objects costs more than the query. */
type Row = [
  id: string,
  kind: ConversationKind,
  name: string | null,
  lastActivityAt: number,
  unread: number,
  unreadMentions: number,
  memberCount: number,
  isMember: number,
  peerId: string | null,
  peerUsername: string | null,
  peerDisplayName: string | null,
  lastText: string | null,
  lastSenderId: string | null,
  lastSenderName: string | null,
  lastDeleted: number | null,
  lastAt: number | null,
  lastAttachmentKind: string | null,
  lastAttachmentName: string | null,
  archived: number,
  archivedSeq: number,
  muted: number,
  lastIncomingSeq: number,
  draftPreview: string | null,
  blocked: number,
  requestFrom: string | null,
  requestAnswer: string | null,
  requestSeq: number,
  requestFromName: string | null,
  unnamedGroupTitle: string | null,
  lastCall: string | null,
  disappearingMs: number | null,
  /** 'poll', 'location' or 'sticker' when the newest message is one (the list shows it so). */
  lastStateKind: string | null,
];

export class ConversationList {
  private cache: Map<string, ConversationSummary> | null = null;
  private cachedFor: string | null = null;
  /** PRAGMA data_version when the cache was last brought up to date: it moves when another connection commits. */
  private dataVersion = -1;

  constructor(private readonly db: Db) {
    // No unique key on the notes: a trigger's OR IGNORE gives way to the conflict policy of the
    // statement that fired it (an upsert's), so a repeated note is skipped by NOT EXISTS instead.
    const note = (id: string) =>
      `INSERT INTO changed_conversations (id) SELECT ${id} WHERE NOT EXISTS (SELECT 1 FROM changed_conversations WHERE id = ${id});`;
    // The notes live with this connection only: in memory, so they add no file to each commit.
    db.pragma('temp_store = MEMORY');
    db.exec(`
      CREATE TEMP TABLE IF NOT EXISTS changed_conversations (id TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS temp.changed_conversations_by_id ON changed_conversations (id);
      CREATE TEMP TRIGGER IF NOT EXISTS conversation_inserted AFTER INSERT ON main.conversations BEGIN ${note('NEW.id')} END;
      CREATE TEMP TRIGGER IF NOT EXISTS conversation_updated AFTER UPDATE ON main.conversations BEGIN ${note('NEW.id')} END;
      CREATE TEMP TRIGGER IF NOT EXISTS conversation_deleted AFTER DELETE ON main.conversations BEGIN ${note('OLD.id')} END;
      CREATE TEMP TRIGGER IF NOT EXISTS user_renamed AFTER UPDATE OF username, display_name ON main.users
        WHEN OLD.username IS NOT NEW.username OR OLD.display_name IS NOT NEW.display_name
        BEGIN
          INSERT INTO changed_conversations (id)
            SELECT id FROM main.conversations c WHERE (c.peer_id = NEW.id OR c.last_sender_id = NEW.id)
              AND NOT EXISTS (SELECT 1 FROM changed_conversations n WHERE n.id = c.id);
        END;
    `);
  }

  /** Every conversation of the folder, newest activity first; or just `onlyId` (whatever its folder). */
  summaries(selfId: string, onlyId?: string, folder: Folder = 'all'): ConversationSummary[] {
    const renames = this.queuedRenames();
    if (onlyId !== undefined) {
      const row = this.rowById(onlyId);
      const summary = row && toSummary(row, selfId);
      return summary ? [withRename(summary, renames)] : [];
    }
    this.refresh(selfId);
    // The same order as page(): newest activity first, ties by id.
    const all = [...(this.cache?.values() ?? [])];
    const list = (folder === 'all' ? all : all.filter((summary) => folderOf(summary) === folder)).sort(
      (a, b) => b.lastActivityAt - a.lastActivityAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return renames.size === 0 ? list : list.map((summary) => withRename(summary, renames));
  }

  /**
   * One screen of the list, newest activity first (ties by id), starting after `after` (the last
   * conversation of the previous screen): read straight from the list's index, so the first screen
   * of 10,000 conversations costs what a screen costs.
   */
  page(
    selfId: string,
    limit: number,
    after?: { lastActivityAt: number; id: string },
    folder: Folder = 'all',
  ): ConversationSummary[] {
    const renames = this.queuedRenames();
    const filter = FOLDER_FILTER[folder];
    const rows = (
      after === undefined
        ? cachedStatement(this.db, `SELECT ${COLUMNS} WHERE ${filter} ORDER BY c.last_activity_at DESC, c.id ${BOUND_LIMIT}`)
            .raw(true)
            .all(limit)
        : cachedStatement(
            this.db,
            `SELECT ${COLUMNS} WHERE (c.last_activity_at < @at OR (c.last_activity_at = @at AND c.id > @id)) AND ${filter}
             ORDER BY c.last_activity_at DESC, c.id LIMIT @limit`,
          )
            .raw(true)
            .all({ at: after.lastActivityAt, id: after.id, limit })
    ) as Row[];
    return rows.flatMap((row) => toSummary(row, selfId) ?? []).map((summary) => withRename(summary, renames));
  }

  private refresh(selfId: string): void {
    // Another connection's writes (a tool, a test) fire no trigger here: then read everything.
    const dataVersion = this.db.pragma('data_version', { simple: true }) as number;
    const outsideWrite = dataVersion !== this.dataVersion;
    this.dataVersion = dataVersion;
    const changed = this.cache && this.cachedFor === selfId && !outsideWrite ? this.takeChanged() : null;
    if (!this.cache || changed === null || changed.length > FULL_READ_ABOVE) {
      this.takeChanged();
      const rows = cachedStatement(this.db, `SELECT ${COLUMNS}`).raw(true).all() as Row[];
      this.cache = new Map(rows.flatMap((row) => toSummary(row, selfId) ?? []).map((summary) => [summary.id, summary]));
      this.cachedFor = selfId;
      return;
    }
    for (const id of changed) {
      const row = this.rowById(id);
      const summary = row && toSummary(row, selfId);
      if (summary) this.cache.set(id, summary);
      else this.cache.delete(id);
    }
  }

  private takeChanged(): string[] {
    return [...new Set(cachedValueStatement(this.db, 'DELETE FROM changed_conversations RETURNING id').all() as string[])];
  }

  private rowById(id: string): Row | undefined {
    return cachedStatement(this.db, `SELECT ${COLUMNS} WHERE c.id = ?`).raw(true).get(id) as Row | undefined;
  }

  /**
   * Our renames still queued, which show at once, and the names of groups made here whose
   * creation is still queued (or was refused): the log names them only once the name goes behind
   * the creation. Checked when read back, like every payload.
   */
  private queuedRenames(): Map<string, string> {
    const rows = cachedStatement(
      this.db,
      `SELECT conversation_id, kind, payload FROM outbox
       WHERE (kind = 'rename' AND status = 'pending') OR kind = 'create' ORDER BY id`,
    ).all() as { conversation_id: string; kind: 'rename' | 'create'; payload: string }[];
    const renames = new Map<string, string>();
    for (const row of rows) {
      const payload: unknown = JSON.parse(row.payload);
      const parsed = row.kind === 'rename' ? renameSchema.safeParse(payload) : outboxConversationSchema.safeParse(payload);
      if (parsed.success && 'name' in parsed.data && parsed.data.name !== undefined)
        renames.set(row.conversation_id, parsed.data.name);
    }
    return renames;
  }
}

function withRename(summary: ConversationSummary, renames: ReadonlyMap<string, string>): ConversationSummary {
  const name = summary.kind === 'group' ? renames.get(summary.id) : undefined;
  return name === undefined ? summary : { ...summary, title: name };
}

function isAttachmentKind(kind: string | null): kind is AttachmentKind {
  return (ATTACHMENT_KINDS as readonly (string | null)[]).includes(kind);
}

/** The one list a conversation shows in (a deleted request shows in none, and has no summary). */
function folderOf(summary: ConversationSummary): Exclude<Folder, 'all'> {
  if (summary.request) return 'requests';
  return summary.archived ? 'archived' : 'main';
}

/** What the list shows of a row; null for a deleted request, which no list shows. */
function toSummary(row: Row, selfId: string): ConversationSummary | null {
  const [id, kind, name, lastActivityAt, unread, unreadMentions, memberCount, isMember, peerId, peerUsername, peerDisplayName] =
    row;
  const [lastText, lastSenderId, lastSenderName, lastDeleted, lastAt, attachmentKind, attachmentName] = row.slice(11) as [
    string | null,
    string | null,
    string | null,
    number | null,
    number | null,
    string | null,
    string | null,
  ];
  const [
    archived,
    archivedSeq,
    muted,
    lastIncomingSeq,
    draftPreview,
    blocked,
    requestFrom,
    requestAnswer,
    requestSeq,
    requestFromName,
    unnamedGroupTitle,
    lastCallJson,
    disappearingMs,
    lastStateKind,
  ] = row.slice(18) as [
    number,
    number,
    number,
    number,
    string | null,
    number,
    string | null,
    string | null,
    number,
    string | null,
    string | null,
    string | null,
    number | null,
    string | null,
  ];
  const lastCall = lastCallView(lastCallJson, lastText === null ? null : (lastAt ?? 0), selfId);
  const standing = requestStanding(requestFrom, requestAnswerOf(requestAnswer, requestSeq), lastIncomingSeq);
  if (standing === 'deleted') return null;
  const peer =
    kind === 'direct'
      ? { id: peerId ?? '', username: peerUsername ?? '', displayName: peerDisplayName ?? peerUsername ?? '' }
      : null;
  return {
    id,
    kind,
    title: peer ? peer.displayName : (name ?? unnamedGroupTitle ?? ''),
    peer,
    memberCount,
    isMember: isMember === 1,
    lastMessage:
      lastText === null
        ? null
        : {
            text: lastDeleted ? '' : lastText,
            own: lastSenderId === selfId,
            at: lastAt ?? 0,
            deleted: lastDeleted === 1,
            senderName: lastSenderName ?? '',
            // Only when there is one, so a list without files reads as it always has.
            ...(!lastDeleted && isAttachmentKind(attachmentKind) && attachmentName !== null
              ? { attachment: { kind: attachmentKind, name: attachmentName } }
              : {}),
            ...(!lastDeleted && lastStateKind === 'poll' ? { poll: true } : {}),
            ...(!lastDeleted && lastStateKind === 'location' ? { location: true } : {}),
            ...(!lastDeleted && lastStateKind === 'sticker' ? { sticker: true } : {}),
          },
    // Only when it is the newest thing said, so a list without calls reads as it always has.
    ...(lastCall ? { lastCall } : {}),
    unreadCount: unread,
    mentionsYou: unreadMentions > 0,
    lastActivityAt,
    archived: isInArchive({ on: archived === 1, seq: archivedSeq }, muted === 1, lastIncomingSeq),
    muted: muted === 1,
    draft: draftPreview,
    blocked: kind === 'direct' && blocked === 1,
    request: standing === 'request',
    requestFromName: standing === 'request' ? requestFromName : null,
    disappearingTimerMs: disappearingMs,
  };
}
