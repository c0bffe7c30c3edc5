import type { Session } from './pg-connections.js';
import type { ExpiryPass } from './server-store.js';
import { purgeExpiredSql, stampAllReadSql, type SweepDialect } from './shared-sql.js';

/**
 * Disappearing messages in PostgreSQL (ServerStore.purgeExpiredEnvelopes), in one READ COMMITTED
 * transaction that every node may run at once: each statement locks the rows it picks and skips
 * those another pass holds, and rechecks them once locked (one another pass changed since is no
 * longer picked), so each envelope is stamped and purged once. Neither waits for a writer of the
 * conversation: an append never holds an envelope's row but to delete it, which the pick skips.
 */

const POSTGRES_SWEEP: SweepDialect = { indexHint: () => '', lock: 'FOR UPDATE OF e SKIP LOCKED' };

// $1 now, $2 the limit. The purged envelopes' references go in the same statement, after their rows are locked.
const PURGE_EXPIRED = `
  WITH purged AS (${purgeExpiredSql('$1', '$2', POSTGRES_SWEEP)}),
       refs AS (DELETE FROM attachment_refs WHERE (conversation_id, seq) IN (SELECT conversation_id, seq FROM purged))
  SELECT count(*) AS purged FROM purged`;

export async function purgeExpiredWith(tx: Session, now: number, limit: number): Promise<ExpiryPass> {
  const { rowCount: stamped } = await tx.query(stampAllReadSql('$1', '$2', POSTGRES_SWEEP), [now, limit]);
  const { rows } = await tx.query<{ purged: number }>(PURGE_EXPIRED, [now, limit]);
  return { stamped, purged: rows[0]?.purged ?? 0 };
}
