import type { Db } from '../../node/sqlite.js';
import type { ExpiryPass } from './server-store.js';
import { purgeExpiredSql, stampAllReadSql, type SweepDialect } from './shared-sql.js';
import type { UploadStatements } from './sqlite-uploads.js';

/**
 * Disappearing messages in SQLite (ServerStore.purgeExpiredEnvelopes): one pass runs inside a write
 * transaction the store opens, so nothing else writes meanwhile and nothing needs locking.
 */

// Pinned: without statistics the planner may pass over a partial index (as for events_kept_in_clear).
const SQLITE_SWEEP: SweepDialect = { indexHint: (index) => `INDEXED BY ${index}`, lock: '' };

export type ExpiryStatements = ReturnType<typeof prepareExpiryStatements>;

export function prepareExpiryStatements(db: Db) {
  return {
    stampAllRead: db.prepare(stampAllReadSql('@now', '@limit', SQLITE_SWEEP)),
    purgeExpired: db.prepare(purgeExpiredSql('@now', '@limit', SQLITE_SWEEP)),
  };
}

/** Stamps, then purges; each purged envelope's references go as a delete's do (dropRefsOfEvent). */
export function purgeExpiredIn(s: ExpiryStatements & UploadStatements, now: number, limit: number): ExpiryPass {
  const stamped = s.stampAllRead.run({ now, limit }).changes;
  const purged = s.purgeExpired.all({ now, limit }) as Array<{ conversation_id: string; seq: number }>;
  for (const row of purged) s.dropRefsOfEvent.run(row.conversation_id, row.seq);
  return { stamped, purged: purged.length };
}
