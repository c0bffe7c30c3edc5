/**
 * What a test server's SQLite store holds of uploads, read beside the running server (WAL lets a
 * second connection in): how many a person owns, and the collection the housekeeping does a day
 * after nothing refers to one.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';

function withServerDb<T>(dataDir: string, use: (db: Database.Database) => T, readonly = true): T {
  const db = new Database(join(dataDir, 'server.sqlite'), { readonly });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** Uploads the server holds from this person. */
export function uploadsOwnedBy(dataDir: string, userId: string): number {
  return withServerDb(
    dataDir,
    (db) => (db.prepare('SELECT COUNT(*) AS n FROM uploads WHERE owner_id = ?').get(userId) as { n: number }).n,
  );
}

/**
 * Removes the upload as the housekeeping does once no message refers to it (housekeeping.ts),
 * without waiting the day; whether it was removed (false: a message still refers to it).
 */
export function collectUnreferencedUpload(dataDir: string, uploadId: string): boolean {
  return withServerDb(
    dataDir,
    (db) =>
      db
        .prepare(
          'DELETE FROM uploads WHERE id = ? AND NOT EXISTS (SELECT 1 FROM attachment_refs r WHERE r.upload_id = uploads.id)',
        )
        .run(uploadId).changes > 0,
    false,
  );
}
