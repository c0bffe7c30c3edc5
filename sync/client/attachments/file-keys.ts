/**
 * Where the store finds the key of each sealed file (sealed-file.ts): the mirror's file_keys table,
 * reached directly in the core, and through the core worker from the host's file gateway. Keys are
 * never written anywhere else.
 */
export interface FileKeyring {
  /** Keeps a new file's key; resolves once it is in the mirror (before any byte it seals is kept). */
  add(keyId: string, key: Buffer): Promise<void>;
  /** The key with this id, or null when the mirror has none. */
  get(keyId: string): Promise<Buffer | null>;
  /** Drops the key of a file that was removed. */
  forget(keyId: string): Promise<void>;
}

/** Key ids as sealed headers carry them: 16 bytes in hex. */
export const KEY_ID_PATTERN = /^[0-9a-f]{32}$/;
