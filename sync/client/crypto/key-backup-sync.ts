/**
 * Keeps the account's key backup on the server (protocol/backup-frames.ts) in step with this
 * device's account keys: on each connection it fetches the backup, and when that is missing, or
 * holds other content than this device's, it writes its own in place of the version it fetched
 * (compare-and-set). Another device's write in between refuses ours (backup_version_mismatch), and
 * the cycle starts again from a fresh fetch, so nothing is overwritten unseen. A device without the
 * account's identity (not restored or linked yet) writes nothing.
 *
 * Merging is "this device's content" while the backup holds only the identity, which all of an
 * account's devices share; the sender-key states later backed up beside it will merge here.
 */
import type { Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import type { StoredKeyBackup } from '../../protocol/backup-frames.js';
import { RequestError, type SyncConnection } from '../connection.js';
import { RetryLoop } from '../retry-loop.js';
import type { AccountKeys } from './account-keys.js';
import { backupContentOf, openKeyBackup, sameBackupContent, sealKeyBackup } from './key-backup.js';
import type { SignalLibrary } from './signal-library.js';

/** Fetch-and-write rounds per cycle: devices writing at once settle in a few; past this, the backoff. */
const MAX_ROUNDS_PER_CYCLE = 3;

/** What a backup is made from: this device's account keys, and libsignal to seal them. */
export interface BackupSource {
  signal: SignalLibrary;
  keys: AccountKeys;
}

export class KeyBackupSync {
  private online = false;
  private stopped = false;
  private readonly loop: RetryLoop;

  constructor(
    private readonly connection: SyncConnection,
    runtime: Runtime,
    /** This device's account keys, or null while it has none. */
    private readonly source: () => Promise<BackupSource | null>,
    private readonly log: Logger,
  ) {
    this.loop = new RetryLoop(runtime, {
      active: () => this.online && !this.stopped,
      work: () => this.bringUpToDate(),
      retry: (error) => {
        if (!(error instanceof RequestError) || !error.permanent || error.reason === 'backup_version_mismatch') return true;
        this.log.warn('the server refused our key backup', { code: error.code, reason: error.reason });
        return false;
      },
    });
  }

  /** A new connection is up (after its catch-up). */
  connected(): void {
    if (this.stopped) return;
    this.online = true;
    this.loop.reset();
    this.loop.run();
  }

  disconnected(): void {
    this.online = false;
    this.loop.cancel();
  }

  stop(): void {
    this.stopped = true;
    this.disconnected();
  }

  private async bringUpToDate(): Promise<void> {
    const source = await this.source();
    if (!source) return;
    const ours = backupContentOf(source.keys);
    for (let round = 1; ; round++) {
      const stored = await fetchKeyBackup(this.connection);
      if (stored) {
        const theirs = openKeyBackup(source.signal, source.keys.userId, source.keys.recoveryKey, stored.ciphertext);
        // A newer version of the app wrote what this one cannot read: replacing it would lose what it added.
        if (theirs === 'unreadable_backup') {
          this.log.warn('the key backup on the server is of a newer version; left as it is', { version: stored.version });
          return;
        }
        if (theirs !== 'wrong_recovery_key' && sameBackupContent(theirs, ours)) return;
        // Ours is the identity this device publishes; a backup sealed for another recovery key or holding another identity is told, then replaced.
        if (theirs === 'wrong_recovery_key' || theirs.identityKeyPair !== ours.identityKeyPair) {
          this.log.warn('the key backup on the server was not this device’s; replacing it', { version: stored.version });
        }
      }
      try {
        const reply = await this.connection.request({
          type: 'put_key_backup',
          replaces: stored?.version ?? null,
          ciphertext: sealKeyBackup(source.signal, source.keys, ours),
        });
        if (reply.type !== 'key_backup_stored') throw new RequestError('internal', `Unexpected reply ${reply.type}`);
        return;
      } catch (error) {
        const raced = error instanceof RequestError && error.reason === 'backup_version_mismatch';
        if (!raced || round >= MAX_ROUNDS_PER_CYCLE) throw error;
      }
    }
  }
}

/** The account's backup as the server keeps it, or null when it has none. */
export async function fetchKeyBackup(connection: SyncConnection): Promise<StoredKeyBackup | null> {
  const reply = await connection.request({ type: 'fetch_key_backup' });
  if (reply.type !== 'key_backup') throw new RequestError('internal', `Unexpected reply ${reply.type} to fetch_key_backup`);
  return reply.backup;
}
