/** Client profiles prepared directly through the mirror: a saved session, optionally known conversations. */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { MIRROR_FILE } from '../../../sync/client/client-core.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { applyDatabaseKey } from '../../../sync/node/database-key.js';
import type { Conversation } from '../../../sync/protocol/frames.js';
import { AccountKeyring } from '../../../sync/client/crypto/account-keyring.js';
import { accountKeysDir } from '../../../sync/client/crypto/account-keys-file.js';
import { SILENT_LOGGER } from '../../../sync/common/logger.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { BENCH_PASSWORD, type SeededUser } from './seed.js';
import { receivedSenderKeyRecords, type HandedSenderKey } from './sender-keys.js';

/**
 * A profile signed in as `user` with a known token (as if it had logged in before), so opening the
 * client core starts the sync engine at once. `conversations` are recorded as known (cursor 0).
 * It holds the account's identity, so what it sends goes sealed, as the app sends it: a new one,
 * or, given `linkedTo` (another profile of the same account), that one's, as linking hands it over.
 * Its device holds `senderKeys` (others' keys, as their distribution messages: seed.ts's sealed
 * traffic), as if its device inbox had brought them, so it opens what was sealed under them.
 */
export async function prepareProfile(
  profileDir: string,
  serverUrl: string,
  user: SeededUser,
  conversations: Conversation[] = [],
  linkedTo?: string,
  senderKeys: readonly HandedSenderKey[] = [],
): Promise<string> {
  mkdirSync(profileDir, { recursive: true });
  const file = join(profileDir, MIRROR_FILE);
  const records = senderKeys.length > 0 ? await receivedSenderKeyRecords(await loadSignal(), senderKeys) : [];
  const mirror = Mirror.open(file);
  try {
    mirror.saveSession({
      serverUrl,
      token: user.token,
      user: { id: user.id, username: user.username, displayName: user.displayName },
    });
    for (const conversation of conversations) {
      mirror.upsertConversation({ ...conversation, lastSeq: 0 }, user.id);
    }
    mirror.transaction(() => {
      for (const { address, distributionId, record } of records) mirror.signal.putSenderKey(address, distributionId, record);
    });
  } finally {
    mirror.close();
  }
  if (linkedTo) cpSync(accountKeysDir(linkedTo), accountKeysDir(profileDir), { recursive: true });
  else await new AccountKeyring(profileDir, null, realRuntime(), SILENT_LOGGER).createForNewAccount(user.id, BENCH_PASSWORD);
  return file;
}

/** The account's identity key pair (base64) a profile holds, as linking hands it to the account's other devices. */
export async function accountIdentity(profileDir: string, userId: string): Promise<string> {
  const keys = await new AccountKeyring(profileDir, null, realRuntime(), SILENT_LOGGER).keysToHandOver(userId);
  if (!keys) throw new Error(`The profile in ${profileDir} holds no keys of ${userId}`);
  return keys.identityKeyPair;
}

/**
 * A second connection to a profile's mirror, for the benchmark to observe it (cursors, counts)
 * without going through the core. Reads only; each query is its own short read transaction.
 */
export class MirrorProbe {
  private readonly db: Database.Database;
  private readonly cursors: Database.Statement;

  constructor(file: string, key?: Uint8Array) {
    this.db = new Database(file);
    if (key) applyDatabaseKey(this.db, key);
    this.db.pragma('busy_timeout = 5000');
    this.cursors = this.db.prepare('SELECT id, applied_seq FROM conversations');
  }

  /** True when every conversation in `expected` has applied_seq ≥ its expected last seq. */
  caughtUp(expected: ReadonlyMap<string, number>): boolean {
    const rows = this.cursors.all() as Array<{ id: string; applied_seq: number }>;
    let reached = 0;
    for (const row of rows) {
      const target = expected.get(row.id);
      if (target !== undefined && row.applied_seq >= target) reached += 1;
    }
    return reached === expected.size;
  }

  count(sql: string, ...params: unknown[]): number {
    const row = this.db.prepare(sql).get(...params) as Record<string, number> | undefined;
    return row ? (Object.values(row)[0] ?? 0) : 0;
  }

  prepare(sql: string): Database.Statement {
    return this.db.prepare(sql);
  }

  close(): void {
    this.db.close();
  }
}
