/**
 * Keys for attachment stores in tests: in memory for a store on its own, or the profile's own
 * mirror (a second connection, as a test reaches a profile its core has open) for a profile's store.
 */
import { join } from 'node:path';
import { BlobStore } from '../../sync/client/attachments/blob-store.js';
import type { FileKeyring } from '../../sync/client/attachments/file-keys.js';
import { MIRROR_FILE } from '../../sync/client/client-core.js';
import { FileKeyStore } from '../../sync/client/mirror/file-key-store.js';
import { MIRROR_MIGRATIONS } from '../../sync/client/mirror/migrations.js';
import { openDatabase } from '../../sync/node/sqlite.js';

export function memoryFileKeys(): FileKeyring & { readonly keys: Map<string, Buffer> } {
  const keys = new Map<string, Buffer>();
  return {
    keys,
    add: (keyId, key) => Promise.resolve(void keys.set(keyId, key)),
    get: (keyId) => Promise.resolve(keys.get(keyId) ?? null),
    forget: (keyId) => Promise.resolve(void keys.delete(keyId)),
  };
}

/** The file keys in a profile's mirror (plain, as tests open it, unless its key is given). */
export function profileFileKeys(profileDir: string, mirrorKey?: Uint8Array): FileKeyring {
  const use = async <T>(work: (store: FileKeyStore) => Promise<T>): Promise<T> => {
    const db = openDatabase(join(profileDir, MIRROR_FILE), MIRROR_MIGRATIONS, mirrorKey ? { key: mirrorKey } : {});
    try {
      return await work(new FileKeyStore(db));
    } finally {
      db.close();
    }
  };
  return {
    add: (keyId, key) => use((store) => store.add(keyId, key)),
    get: (keyId) => use((store) => store.get(keyId)),
    forget: (keyId) => use((store) => store.forget(keyId)),
  };
}

/** A profile's attachment store, with its keys in the profile's mirror. */
export function profileBlobStore(profileDir: string, mirrorKey?: Uint8Array): BlobStore {
  return new BlobStore(profileDir, profileFileKeys(profileDir, mirrorKey));
}
