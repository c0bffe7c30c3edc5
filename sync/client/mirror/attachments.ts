import { z } from 'zod';
import { fileUrl, type AttachmentView, type TransferView } from '../../app-api/contract.js';
import { ATTACHMENT_KINDS, attachmentSchema, displayedSize, type Attachment } from '../../protocol/attachments.js';
import { welcomePush } from '../../protocol/frames.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';
import { TRUSTED_SQL } from './request-standing.js';

/** One file of one message: its place in the message. */
export interface AttachmentKey {
  conversationId: string;
  messageId: string;
  index: number;
}

/** What a message says about a file before the server has given it an id. */
export type ComposedAttachment = Omit<Attachment, 'id'>;

export interface UploadJob extends AttachmentKey {
  sha256: string;
  size: number;
  /** The file's key (base64); null for a plain file from before encryption, which is not uploaded. */
  key: string | null;
  /** The tus upload created by an earlier attempt (resumed from the server's offset), or null. */
  uploadUrl: string | null;
  uploadOffset: number;
}

export interface DownloadJob extends AttachmentKey {
  attachmentId: string;
  /** Of the sealed file, as are `size` and the bytes the server sends (`key` null: a plain file from before). */
  sha256: string;
  size: number;
  key: string | null;
}

export type ServerLimits = z.infer<typeof serverLimitsSchema>;
const serverLimitsSchema = welcomePush.shape.limits;

/** A row as read back from disk, checked before anything is built from it. */
const rowSchema = z.object({
  conversation_id: z.string(),
  message_id: z.string(),
  ordinal: z.number().int().min(0),
  attachment_id: z.string().nullable(),
  sha256: z.string(),
  size: z.number().int().min(0),
  file_key: z.string().nullable(),
  name: z.string(),
  mime: z.string(),
  kind: z.enum(ATTACHMENT_KINDS),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  preview: z.string().nullable(),
  duration_ms: z.number().int().nullable(),
  upload_url: z.string().nullable(),
  upload_offset: z.number().int().min(0),
  upload_state: z.enum(['pending', 'done', 'failed']).nullable(),
  upload_error: z.string().nullable(),
  download_state: z.enum(['none', 'queued', 'active', 'done', 'failed']),
  download_error: z.string().nullable(),
});
type Row = z.infer<typeof rowSchema>;

function parseRow(raw: unknown): Row {
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`An attachment row in the mirror is malformed: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** What earlierUpload reads: the server's id of an upload, when there is one. */
const earlierUploadRow = z.object({ attachment_id: z.string() }).optional();

const KEY = 'conversation_id = ? AND message_id = ? AND ordinal = ?';
const keyArgs = (key: AttachmentKey) => [key.conversationId, key.messageId, key.index] as const;

/**
 * The attachments of the mirror's messages and where their bytes are: own files waiting for
 * their upload (its tus URL and confirmed offset kept here, so a restart resumes it), received
 * files waiting to be downloaded. The bytes themselves are in the profile's BlobStore.
 */
export class AttachmentStore {
  constructor(private readonly db: Db) {}

  // -- composing and receiving ---------------------------------------------------------------

  /**
   * A message composed here: its files are in the store already and wait for their upload, unless
   * this device has uploaded the same sealed bytes before (a sticker and its pack's bundle, a photo
   * sent again): that upload is named instead. Should the server no longer hold it, the send is
   * refused with `attachment_missing` and the file is uploaded again (resetUploads).
   */
  insertOwn(conversationId: string, messageId: string, attachments: readonly ComposedAttachment[]): void {
    const insert = cachedStatement(
      this.db,
      `INSERT INTO attachments (conversation_id, message_id, ordinal, sha256, size, file_key, name, mime, kind, width, height,
         preview, duration_ms, attachment_id, upload_state, upload_offset, download_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'done')`,
    );
    attachments.forEach((attachment, index) => {
      const uploaded = this.earlierUpload(attachment);
      insert.run(
        conversationId,
        messageId,
        index,
        ...metadataArgs(attachment),
        uploaded,
        uploaded === null ? 'pending' : 'done',
        uploaded === null ? 0 : attachment.size,
      );
    });
  }

  /** The server's id of this device's newest finished upload of the same sealed bytes, if any. */
  private earlierUpload(attachment: ComposedAttachment): string | null {
    const row = cachedStatement(
      this.db,
      `SELECT a.attachment_id FROM attachments a
         JOIN messages m ON m.conversation_id = a.conversation_id AND m.client_message_id = a.message_id
       WHERE a.sha256 = ? AND a.file_key IS ? AND a.size = ? AND a.upload_state = 'done' AND a.attachment_id IS NOT NULL
       ORDER BY m.local_id DESC LIMIT 1`,
    ).get(attachment.sha256, attachment.key ?? null, attachment.size);
    return earlierUploadRow.parse(row)?.attachment_id ?? null;
  }

  /**
   * A forward's files: those of the message it copies, by reference (the server's ids, nothing to
   * upload: `upload_state` NULL, like a received file). Bytes already in this profile (under the
   * same SHA-256) show at once; otherwise images are fetched by themselves, other files on request.
   */
  insertForwarded(conversationId: string, messageId: string, source: { conversationId: string; messageId: string }): void {
    cachedStatement(
      this.db,
      `INSERT INTO attachments (conversation_id, message_id, ordinal, attachment_id, sha256, size, file_key, name, mime, kind,
         width, height, preview, duration_ms, download_state)
       SELECT ?, ?, s.ordinal, s.attachment_id, s.sha256, s.size, s.file_key, s.name, s.mime, s.kind, s.width, s.height,
         s.preview, s.duration_ms,
         CASE WHEN EXISTS (SELECT 1 FROM attachments d WHERE d.sha256 = s.sha256 AND d.download_state = 'done') THEN 'done'
              WHEN s.kind = 'image' THEN 'queued' ELSE 'none' END
       FROM attachments s WHERE s.conversation_id = ? AND s.message_id = ? ORDER BY s.ordinal`,
    ).run(conversationId, messageId, source.conversationId, source.messageId);
  }

  /** Whether every file of the message has the server's id (a forward can refer to them). */
  allOnServer(conversationId: string, messageId: string): boolean {
    return (
      cachedStatement(
        this.db,
        'SELECT 1 FROM attachments WHERE conversation_id = ? AND message_id = ? AND attachment_id IS NULL LIMIT 1',
      ).get(conversationId, messageId) === undefined
    );
  }

  /**
   * What a stored message event says about its files. New rows (someone else's message, or ours
   * from another device) wait for a download: images by themselves (not in a message request until
   * it is accepted: fetchHeldImages), other files on request. Our own rows keep their state and
   * learn the server's id.
   */
  storeReceived(conversationId: string, messageId: string, attachments: readonly Attachment[]): void {
    const byThemselves = this.trusted(conversationId);
    const upsert = cachedStatement(
      this.db,
      `INSERT INTO attachments (conversation_id, message_id, ordinal, attachment_id, sha256, size, file_key, name, mime, kind,
         width, height, preview, duration_ms, download_state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id, message_id, ordinal) DO UPDATE SET
         attachment_id = excluded.attachment_id, upload_state = CASE WHEN upload_state IS NULL THEN NULL ELSE 'done' END,
         upload_error = NULL`,
    );
    attachments.forEach((attachment, index) =>
      upsert.run(
        conversationId,
        messageId,
        index,
        attachment.id,
        ...metadataArgs(attachment),
        attachment.kind === 'image' && byThemselves ? 'queued' : 'none',
      ),
    );
  }

  /** The images a message request held back, fetched by themselves now that it is accepted. */
  fetchHeldImages(conversationId: string): void {
    cachedStatement(
      this.db,
      `UPDATE attachments SET download_state = 'queued'
       WHERE conversation_id = ? AND kind = 'image' AND download_state = 'none' AND attachment_id IS NOT NULL`,
    ).run(conversationId);
  }

  private trusted(conversationId: string): boolean {
    return (
      cachedStatement(this.db, `SELECT 1 FROM conversations c WHERE c.id = ? AND ${TRUSTED_SQL}`).get(conversationId) !==
      undefined
    );
  }

  /** A message deleted for everyone, or withdrawn before it was sent: its files go with it. */
  remove(conversationId: string, messageId: string): void {
    cachedStatement(this.db, 'DELETE FROM attachments WHERE conversation_id = ? AND message_id = ?').run(
      conversationId,
      messageId,
    );
  }

  /** Attachment views per message id, for the messages given. */
  views(conversationId: string, messageIds: readonly string[]): Map<string, AttachmentView[]> {
    const rows = cachedStatement(
      this.db,
      `SELECT * FROM attachments WHERE conversation_id = ? AND message_id IN (SELECT value FROM json_each(?))
         ORDER BY message_id, ordinal`,
    )
      .all(conversationId, JSON.stringify(messageIds))
      .map(parseRow);
    const byMessage = new Map<string, AttachmentView[]>();
    for (const row of rows) {
      const list = byMessage.get(row.message_id) ?? [];
      list.push(toView(row));
      byMessage.set(row.message_id, list);
    }
    return byMessage;
  }

  // -- uploads -------------------------------------------------------------------------------

  /** Own files still to upload, in compose order; those of a failed message wait for its retry. */
  pendingUploads(): UploadJob[] {
    return cachedStatement(
      this.db,
      `SELECT a.* FROM attachments a
           JOIN messages m ON m.conversation_id = a.conversation_id AND m.client_message_id = a.message_id
         WHERE a.upload_state = 'pending' AND m.state = 'sending'
         ORDER BY m.local_id, a.ordinal`,
    )
      .all()
      .map(parseRow)
      .map((row) => ({
        conversationId: row.conversation_id,
        messageId: row.message_id,
        index: row.ordinal,
        sha256: row.sha256,
        size: row.size,
        key: row.file_key,
        uploadUrl: row.upload_url,
        uploadOffset: row.upload_offset,
      }));
  }

  /** The tus upload was created (or resumed) at `url`; false when the row is no longer waiting. */
  setUploadUrl(key: AttachmentKey, url: string | null): boolean {
    return (
      cachedStatement(
        this.db,
        `UPDATE attachments SET upload_url = ?, upload_offset = 0 WHERE ${KEY} AND upload_state = 'pending'`,
      ).run(url, ...keyArgs(key)).changes > 0
    );
  }

  /** The server confirmed this many bytes; false when the row is no longer waiting (withdrawn). */
  setUploadOffset(key: AttachmentKey, offset: number): boolean {
    return (
      cachedStatement(this.db, `UPDATE attachments SET upload_offset = ? WHERE ${KEY} AND upload_state = 'pending'`).run(
        offset,
        ...keyArgs(key),
      ).changes > 0
    );
  }

  uploadDone(key: AttachmentKey, attachmentId: string): void {
    cachedStatement(
      this.db,
      `UPDATE attachments SET upload_state = 'done', attachment_id = ?, upload_offset = size, upload_error = NULL
       WHERE ${KEY} AND upload_state = 'pending'`,
    ).run(attachmentId, ...keyArgs(key));
  }

  uploadFailed(key: AttachmentKey, reason: string): void {
    cachedStatement(
      this.db,
      `UPDATE attachments SET upload_state = 'failed', upload_error = ? WHERE ${KEY} AND upload_state = 'pending'`,
    ).run(reason, ...keyArgs(key));
  }

  /**
   * A failed message goes back in the queue: its refused uploads start again from nothing (and
   * every upload, when the server no longer had them). Files a forward refers to are no uploads
   * of ours and stay as they are. Returns how many uploads start again.
   */
  resetUploads(conversationId: string, messageId: string, everyUpload: boolean): number {
    return cachedStatement(
      this.db,
      `UPDATE attachments SET upload_state = 'pending', upload_error = NULL, upload_url = NULL, upload_offset = 0,
         attachment_id = NULL
       WHERE conversation_id = ? AND message_id = ? AND upload_state IS NOT NULL AND (upload_state = 'failed' OR ?)`,
    ).run(conversationId, messageId, everyUpload ? 1 : 0).changes;
  }

  /**
   * What the send frame says about the message's files, once every upload is done; null while
   * one is still under way. A forward's files (by reference) are ready from the start. Checked
   * against the protocol's schema: the rows were read from disk.
   */
  forSend(conversationId: string, messageId: string): Attachment[] | null {
    const rows = cachedStatement(
      this.db,
      'SELECT * FROM attachments WHERE conversation_id = ? AND message_id = ? ORDER BY ordinal',
    )
      .all(conversationId, messageId)
      .map(parseRow);
    // Own files once uploaded ('done'); a forward's files are on the server already (NULL state).
    if (rows.some((row) => (row.upload_state !== 'done' && row.upload_state !== null) || row.attachment_id === null)) {
      return null;
    }
    return rows.map((row) =>
      attachmentSchema.parse({
        id: row.attachment_id,
        sha256: row.sha256,
        size: row.size,
        ...(row.file_key !== null ? { key: row.file_key } : {}),
        name: row.name,
        mime: row.mime,
        kind: row.kind,
        ...(row.width !== null ? { width: row.width } : {}),
        ...(row.height !== null ? { height: row.height } : {}),
        ...(row.preview !== null ? { preview: row.preview } : {}),
        ...(row.duration_ms !== null ? { durationMs: row.duration_ms } : {}),
      }),
    );
  }

  // -- downloads -----------------------------------------------------------------------------

  /** Received files waiting for their bytes, oldest message first. */
  queuedDownloads(): DownloadJob[] {
    return cachedStatement(
      this.db,
      `SELECT a.* FROM attachments a
           LEFT JOIN messages m ON m.conversation_id = a.conversation_id AND m.client_message_id = a.message_id
         WHERE a.download_state = 'queued' AND a.attachment_id IS NOT NULL
         ORDER BY m.seq, a.ordinal`,
    )
      .all()
      .map(parseRow)
      .map((row) => ({
        conversationId: row.conversation_id,
        messageId: row.message_id,
        index: row.ordinal,
        attachmentId: row.attachment_id ?? '',
        sha256: row.sha256,
        size: row.size,
        key: row.file_key,
      }));
  }

  /**
   * Asks for a file's bytes (or for another try after a failure). Returns false when there is no
   * such attachment or it cannot be downloaded (not uploaded yet).
   */
  requestDownload(key: AttachmentKey): boolean {
    const row = cachedStatement(this.db, `SELECT download_state, attachment_id FROM attachments WHERE ${KEY}`).get(
      ...keyArgs(key),
    ) as { download_state: string; attachment_id: string | null } | undefined;
    if (!row) return false;
    if (row.download_state === 'done' || row.download_state === 'queued' || row.download_state === 'active') return true;
    if (row.attachment_id === null) return false;
    cachedStatement(this.db, `UPDATE attachments SET download_state = 'queued', download_error = NULL WHERE ${KEY}`).run(
      ...keyArgs(key),
    );
    return true;
  }

  /** Moves a download along; false when the row is gone (the message was deleted meanwhile). */
  setDownloadState(key: AttachmentKey, state: 'queued' | 'active' | 'done' | 'failed', error: string | null = null): boolean {
    return (
      cachedStatement(this.db, `UPDATE attachments SET download_state = ?, download_error = ? WHERE ${KEY}`).run(
        state,
        error,
        ...keyArgs(key),
      ).changes > 0
    );
  }

  /** Downloads cut short by the last shutdown (or crash) are queued again. */
  requeueInterruptedDownloads(): void {
    cachedStatement(this.db, "UPDATE attachments SET download_state = 'queued' WHERE download_state = 'active'").run();
  }

  // -- garbage -------------------------------------------------------------------------------

  /** Whether any message (own or received, sent or not) refers to these bytes. */
  refersTo(sha256: string): boolean {
    return cachedStatement(this.db, 'SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1').get(sha256) !== undefined;
  }

  /** Downloads whose partial bytes are worth keeping: not finished, not given up on. */
  wantedPartials(): Set<string> {
    const rows = cachedStatement(
      this.db,
      "SELECT attachment_id FROM attachments WHERE attachment_id IS NOT NULL AND download_state IN ('queued', 'active', 'failed')",
    ).all() as { attachment_id: string }[];
    return new Set(rows.map((row) => row.attachment_id));
  }

  // -- the server's limits -------------------------------------------------------------------

  /** The limits the server announced in its last welcome; null before any (or when unreadable). */
  serverLimits(): ServerLimits | null {
    const row = cachedStatement(this.db, 'SELECT server_limits FROM session WHERE id = 1').get() as
      { server_limits: string | null } | undefined;
    if (!row?.server_limits) return null;
    let json: unknown;
    try {
      json = JSON.parse(row.server_limits);
    } catch {
      return null;
    }
    const parsed = serverLimitsSchema.safeParse(json);
    return parsed.success ? parsed.data : null;
  }

  saveServerLimits(limits: ServerLimits): void {
    cachedStatement(this.db, 'UPDATE session SET server_limits = ? WHERE id = 1').run(JSON.stringify(limits));
  }
}

function metadataArgs(attachment: ComposedAttachment) {
  return [
    attachment.sha256,
    attachment.size,
    attachment.key ?? null,
    attachment.name,
    attachment.mime,
    attachment.kind,
    attachment.width ?? null,
    attachment.height ?? null,
    attachment.preview ?? null,
    attachment.durationMs ?? null,
  ] as const;
}

function toView(row: Row): AttachmentView {
  return {
    index: row.ordinal,
    name: row.name,
    sha256: row.sha256,
    size: displayedSize({ size: row.size, key: row.file_key }),
    mime: row.mime,
    kind: row.kind,
    width: row.width,
    height: row.height,
    preview: row.preview,
    durationMs: row.duration_ms,
    localUrl: row.download_state === 'done' ? fileUrl(row.sha256) : null,
    transfer: transferOf(row),
  };
}

/** The upload (own files) or download still under way or failed; null when there is none. */
function transferOf(row: Row): TransferView | null {
  const totalBytes = row.size;
  switch (row.upload_state) {
    case 'pending':
      return { direction: 'upload', state: 'queued', transferredBytes: row.upload_offset, totalBytes, error: null };
    case 'failed':
      return { direction: 'upload', state: 'failed', transferredBytes: row.upload_offset, totalBytes, error: row.upload_error };
    case 'done':
    case null:
      break;
  }
  switch (row.download_state) {
    case 'queued':
    case 'active':
      return { direction: 'download', state: row.download_state, transferredBytes: 0, totalBytes, error: null };
    case 'failed':
      return { direction: 'download', state: 'failed', transferredBytes: 0, totalBytes, error: row.download_error };
    case 'none':
    case 'done':
      return null;
  }
}
