import { cachedStatement, type Db } from '../../node/sqlite.js';
import { KEY_ID_PATTERN, type FileKeyring } from '../attachments/file-keys.js';

const KEY_BYTES = 32;

/** The keys of the profile's attachment files (sync/client/attachments/sealed-file.ts), one row per file. */
export class FileKeyStore implements FileKeyring {
  constructor(private readonly db: Db) {}

  // Promises (and errors as rejections) because the host reaches the same keys across threads.
  add(keyId: string, key: Buffer): Promise<void> {
    return settle(() => {
      if (!KEY_ID_PATTERN.test(keyId) || key.length !== KEY_BYTES) throw new Error('Not a file key');
      cachedStatement(this.db, 'INSERT INTO file_keys (key_id, key) VALUES (?, ?)').run(keyId, key);
    });
  }

  get(keyId: string): Promise<Buffer | null> {
    return settle(() => {
      const row = cachedStatement(this.db, 'SELECT key FROM file_keys WHERE key_id = ?').get(keyId) as
        { key: unknown } | undefined;
      return Buffer.isBuffer(row?.key) && row.key.length === KEY_BYTES ? row.key : null;
    });
  }

  forget(keyId: string): Promise<void> {
    return settle(() => {
      cachedStatement(this.db, 'DELETE FROM file_keys WHERE key_id = ?').run(keyId);
    });
  }
}

function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
