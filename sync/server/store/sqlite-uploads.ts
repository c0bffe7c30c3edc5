import type { Db } from '../../node/sqlite.js';
import type { CreateUploadResult, DownloadableUpload, NewUpload, StoredUpload } from './server-store.js';
import { downloadableToSql } from './shared-sql.js';
import { toStoredUpload, type UploadRow } from './store-rows.js';

/**
 * Uploads and the envelopes that refer to them. The functions ending in `In` run inside a write
 * transaction the store opens (on their own, or as part of appending an envelope or deleting one).
 */

export type UploadStatements = ReturnType<typeof prepareUploadStatements>;

export function prepareUploadStatements(db: Db) {
  return {
    insertUpload: db.prepare(
      `INSERT INTO uploads (id, owner_id, sha256, size, created_at, completed_at)
       VALUES (@id, @ownerId, @sha256, @size, @createdAt, NULL)`,
    ),
    uploadById: db.prepare(`SELECT * FROM uploads WHERE id = ?`),
    keptBytesOf: db.prepare(`SELECT COALESCE(SUM(size), 0) AS bytes FROM uploads WHERE owner_id = ?`),
    completeUpload: db.prepare(`UPDATE uploads SET completed_at = ? WHERE id = ? AND completed_at IS NULL`),
    deleteUnreferencedUpload: db.prepare(
      `DELETE FROM uploads WHERE id = ? AND NOT EXISTS (SELECT 1 FROM attachment_refs r WHERE r.upload_id = uploads.id)`,
    ),
    // One envelope may name the same upload twice; it refers to it once.
    insertRef: db.prepare(`INSERT OR IGNORE INTO attachment_refs (upload_id, conversation_id, seq) VALUES (?, ?, ?)`),
    dropRefsOfEvent: db.prepare(`DELETE FROM attachment_refs WHERE conversation_id = ? AND seq = ?`),
    // A referring event within one of the reader's visibility periods, served to them (as readEvents serves them).
    downloadable: db.prepare(
      `SELECT u.id, u.sha256, u.size FROM uploads u WHERE u.id = @attachmentId AND ${downloadableToSql('@userId', 'u')}`,
    ),
    expiredUploads: db.prepare(
      `SELECT id FROM uploads u INDEXED BY uploads_by_age
       WHERE u.created_at < ? AND NOT EXISTS (SELECT 1 FROM attachment_refs r WHERE r.upload_id = u.id)
       ORDER BY u.created_at`,
    ),
  };
}

export function createUploadIn(s: UploadStatements, input: NewUpload): CreateUploadResult {
  const { bytes } = s.keptBytesOf.get(input.ownerId) as { bytes: number };
  if (bytes + input.size > input.quotaBytes) return { status: 'refused', reason: 'quota_exceeded' };
  s.insertUpload.run({
    id: input.id,
    ownerId: input.ownerId,
    sha256: input.sha256,
    size: input.size,
    createdAt: input.createdAt,
  });
  return { status: 'created' };
}

export function getUploadIn(s: UploadStatements, id: string): StoredUpload | null {
  const row = s.uploadById.get(id) as UploadRow | undefined;
  return row ? toStoredUpload(row) : null;
}

export function findDownloadableIn(s: UploadStatements, userId: string, attachmentId: string): DownloadableUpload | null {
  return (s.downloadable.get({ userId, attachmentId }) as DownloadableUpload | undefined) ?? null;
}

/** The envelope stored at `seq` now refers to these uploads. */
export function referUploadsIn(s: UploadStatements, conversationId: string, seq: number, uploadIds: readonly string[]): void {
  for (const uploadId of uploadIds) s.insertRef.run(uploadId, conversationId, seq);
}
