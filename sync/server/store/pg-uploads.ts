import type { CreateUploadResult, DownloadableUpload, NewUpload, StoredUpload } from './server-store.js';
import { inTransaction, type PostgresConnections } from './pg-connections.js';
import { downloadableToSql } from './shared-sql.js';
import { toStoredUpload, type UploadRow } from './store-rows.js';

/**
 * Uploads in PostgreSQL. The two that check before they write run in a READ COMMITTED transaction
 * that first locks the row the check is about; the others are one statement each.
 */

/**
 * The owner's row is locked (FOR NO KEY UPDATE: foreign keys that point at it take KEY SHARE, which
 * this does not block) before their kept bytes are summed, so two uploads racing for the last of a
 * quota are summed one after the other and only one fits. The sum and the insert are one statement.
 */
export async function createUpload(db: PostgresConnections, input: NewUpload): Promise<CreateUploadResult> {
  return inTransaction(db, async (tx) => {
    await tx.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [input.ownerId]);
    const { rowCount } = await tx.query(
      `INSERT INTO uploads (id, owner_id, sha256, size, created_at, completed_at)
       SELECT $1, $2, $3, $4::bigint, $5::bigint, NULL
       WHERE (SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner_id = $2) + $4::bigint <= $6::bigint`,
      [input.id, input.ownerId, input.sha256, input.size, input.createdAt, input.quotaBytes],
    );
    return rowCount === 1 ? { status: 'created' } : { status: 'refused', reason: 'quota_exceeded' };
  });
}

export async function getUpload(db: PostgresConnections, id: string): Promise<StoredUpload | null> {
  const [row] = await db.query<UploadRow>('SELECT * FROM uploads WHERE id = $1', [id]);
  return row ? toStoredUpload(row) : null;
}

export async function completeUpload(db: PostgresConnections, id: string, at: number): Promise<void> {
  await db.query('UPDATE uploads SET completed_at = $1 WHERE id = $2 AND completed_at IS NULL', [at, id]);
}

/**
 * The upload's row is locked (FOR UPDATE) before the references are looked at: a send that refers to
 * it holds KEY SHARE on it from its check to its commit, so the delete either waits and then sees
 * the reference (and keeps the upload) or goes first (and the send finds it gone).
 */
export async function deleteUpload(db: PostgresConnections, id: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    await tx.query('SELECT 1 FROM uploads WHERE id = $1 FOR UPDATE', [id]);
    const { rowCount } = await tx.query(
      'DELETE FROM uploads WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM attachment_refs r WHERE r.upload_id = uploads.id)',
      [id],
    );
    return rowCount === 1;
  });
}

export async function findDownloadable(
  db: PostgresConnections,
  userId: string,
  attachmentId: string,
): Promise<DownloadableUpload | null> {
  const [row] = await db.query<DownloadableUpload>(
    `SELECT u.id, u.sha256, u.size FROM uploads u WHERE u.id = $2 AND ${downloadableToSql('$1', 'u')}`,
    [userId, attachmentId],
  );
  return row ?? null;
}

export async function listExpiredUploads(db: PostgresConnections, before: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM uploads u
     WHERE u.created_at < $1 AND NOT EXISTS (SELECT 1 FROM attachment_refs r WHERE r.upload_id = u.id)
     ORDER BY u.created_at`,
    [before],
  );
  return rows.map((row) => row.id);
}
