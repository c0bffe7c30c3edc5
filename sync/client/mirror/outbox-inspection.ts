import { z } from 'zod';
import { ATTACHMENT_KINDS, fileName, type AttachmentKind } from '../../protocol/attachments.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';
import { toEntry, type OutboxEntry, type OutboxRow } from './outbox-store.js';

/** A queued row as the outbox inspector shows it. */
export interface InspectedOutboxRow {
  /** The row read back; a send's `text` is cut to the preview's length, and carries no link preview. */
  entry: OutboxEntry;
  status: 'pending' | 'failed';
  /** As stored: a code (a refusal reason, a transfer error, a RequestError code), or words from an older version. */
  lastError: string | null;
  /** The text of the message it sends or is about, cut short; null when there is none here. */
  messageText: string | null;
  /** A send's files, in order. */
  files: { name: string; kind: AttachmentKind }[];
  /** A send with files of its own not uploaded yet. */
  uploading: boolean;
}

type InspectedRow = OutboxRow & { files: string; uploading: number };

/** The files column, checked when read back like everything from disk. */
const filesSchema = z.array(z.object({ name: fileName, kind: z.enum(ATTACHMENT_KINDS) }));

/**
 * The outbox as a whole, for the inspector: per conversation (the one whose oldest row is oldest
 * first), each in the order it will be sent, with the message each row sends or is about.
 */
export class OutboxInspection {
  constructor(private readonly db: Db) {}

  list(limit: number, previewChars: number): InspectedOutboxRow[] {
    const rows = cachedStatement(
      this.db,
      `WITH firsts AS (SELECT conversation_id, MIN(id) AS first_id FROM outbox GROUP BY conversation_id)
       SELECT o.*, substr(m.text, 1, @chars) AS text, NULL AS reply_to, NULL AS link_preview,
         (SELECT json_group_array(json_object('name', a.name, 'kind', a.kind) ORDER BY a.ordinal) FROM attachments a
           WHERE a.conversation_id = o.conversation_id AND a.message_id = o.message_id) AS files,
         EXISTS (SELECT 1 FROM attachments a WHERE a.conversation_id = o.conversation_id AND a.message_id = o.message_id
           AND a.upload_state IS NOT NULL AND a.upload_state != 'done') AS uploading
       FROM outbox o JOIN firsts f ON f.conversation_id = o.conversation_id
       LEFT JOIN messages m ON m.conversation_id = o.conversation_id AND m.client_message_id = o.message_id
       ORDER BY f.first_id, o.id
       LIMIT @limit`,
    ).all({ chars: previewChars, limit }) as InspectedRow[];
    return rows.map((row) => {
      const files = filesOf(row);
      return {
        entry: toEntry({ ...row, has_files: files.length > 0 ? 1 : 0 }),
        status: row.status,
        lastError: row.last_error,
        messageText: row.text,
        files,
        uploading: row.uploading !== 0,
      };
    });
  }

  count(): number {
    return (cachedStatement(this.db, 'SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  }

  /** One row by its client id, as retry and discard need it; null when it is not queued. */
  find(clientId: string): { entry: OutboxEntry; status: 'pending' | 'failed' } | null {
    const row = cachedStatement(
      this.db,
      'SELECT o.*, NULL AS text, NULL AS reply_to, NULL AS link_preview, 0 AS has_files FROM outbox o WHERE o.client_id = ?',
    ).get(clientId) as OutboxRow | undefined;
    return row ? { entry: toEntry(row), status: row.status } : null;
  }
}

function filesOf(row: InspectedRow): { name: string; kind: AttachmentKind }[] {
  let json: unknown;
  try {
    json = JSON.parse(row.files);
  } catch {
    throw new Error(`Outbox row ${row.client_id}: its files could not be read`);
  }
  const parsed = filesSchema.safeParse(json);
  if (!parsed.success) throw new Error(`Outbox row ${row.client_id} has malformed files: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
