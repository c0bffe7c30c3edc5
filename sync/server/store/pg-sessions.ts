import { inTransaction, type PostgresConnections, type Session } from './pg-connections.js';
import type { NewSession, SessionsUse, SessionUse, StoredSession } from './server-store.js';
import { freeDeviceNumberSql, sessionUseSql } from './shared-sql.js';
import { toUser, type SessionUseRow } from './store-rows.js';

/**
 * Sessions in the PostgreSQL store. Opening one locks the user's row (SELECT ... FOR UPDATE) before
 * counting their devices, so sign-ins on several nodes at once cannot pass the cap together.
 */

interface SessionRow {
  id: string;
  user_id: string;
  device_number: number;
  device_name: string | null;
  created_at: number;
  last_used_at: number;
}

type EndInput = { userId: string } & ({ ids: readonly string[] } | { except: string });

export function createSessionWith(
  db: PostgresConnections,
  input: NewSession & { maxDevices: number; expiredBefore: number },
): Promise<'created' | 'too_many_devices'> {
  return inTransaction(db, async (tx) => {
    // The user's row stays locked to the commit: counting devices and taking a number serialise per user.
    await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [input.userId]);
    await tx.query('DELETE FROM sessions WHERE user_id = $1 AND last_used_at < $2', [input.userId, input.expiredBefore]);
    const { rows } = await tx.query<{ n: number }>('SELECT count(*) AS n FROM sessions WHERE user_id = $1', [input.userId]);
    if ((rows[0]?.n ?? 0) >= input.maxDevices) return 'too_many_devices';
    const taken = await tx.query<{ device_number: number }>(freeDeviceNumberSql('$1'), [input.userId]);
    await tx.query(
      `INSERT INTO sessions (token_hash, id, user_id, device_number, device_name, created_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)`,
      [input.tokenHash, input.id, input.userId, taken.rows[0]!.device_number, input.deviceName, input.createdAt],
    );
    return 'created';
  });
}

export async function useSessionWith(
  db: PostgresConnections,
  input: { tokenHash: string; now: number; expiredBefore: number; touchBefore: number },
): Promise<SessionUse | null> {
  const [row] = await db.query<SessionUseRow>(sessionUseSql('$1'), [input.tokenHash]);
  if (!row) return null;
  if (row.last_used_at < input.expiredBefore) {
    // Only if still expired: a use that raced ahead of this one keeps it.
    await db.query('DELETE FROM sessions WHERE token_hash = $1 AND last_used_at < $2', [input.tokenHash, input.expiredBefore]);
    return null;
  }
  if (row.last_used_at < input.touchBefore) {
    await db.query('UPDATE sessions SET last_used_at = GREATEST(last_used_at, $1) WHERE token_hash = $2', [
      input.now,
      input.tokenHash,
    ]);
  }
  return { user: toUser(row), sessionId: row.session_id, deviceNumber: row.device_number };
}

// $1 the token hashes, $2 expired before, $3 now, $4 touched before. The DELETE and UPDATE recheck
// their conditions on a row another use changed meanwhile, so a use racing ahead keeps its
// session; the answer is from the statement's snapshot, and a session it calls expired that such a
// use kept only costs that socket a reconnect.
const USE_SESSIONS = `
  WITH asked AS (SELECT DISTINCT unnest($1::text[]) AS token_hash),
  expired AS (
    DELETE FROM sessions s USING asked a WHERE s.token_hash = a.token_hash AND s.last_used_at < $2),
  touched AS (
    UPDATE sessions s SET last_used_at = GREATEST(s.last_used_at, $3) FROM asked a
    WHERE s.token_hash = a.token_hash AND s.last_used_at >= $2 AND s.last_used_at < $4)
  SELECT s.token_hash FROM sessions s JOIN asked a ON a.token_hash = s.token_hash WHERE s.last_used_at >= $2`;

/** useSessionWith for many hashes, in one statement: the hashes of those still open. */
export async function useSessionsWith(db: PostgresConnections, input: SessionsUse): Promise<Set<string>> {
  if (input.tokenHashes.length === 0) return new Set();
  const rows = await db.query<{ token_hash: string }>(USE_SESSIONS, [
    input.tokenHashes,
    input.expiredBefore,
    input.now,
    input.touchBefore,
  ]);
  return new Set(rows.map((row) => row.token_hash));
}

export async function listSessionsWith(db: PostgresConnections, userId: string, expiredBefore: number): Promise<StoredSession[]> {
  const rows = await db.query<SessionRow>(
    `SELECT id, user_id, device_number, device_name, created_at, last_used_at FROM sessions
     WHERE user_id = $1 AND last_used_at >= $2 ORDER BY last_used_at DESC, id`,
    [userId, expiredBefore],
  );
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    deviceNumber: row.device_number,
    deviceName: row.device_name,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  }));
}

export function endSessionsWith(db: PostgresConnections, input: EndInput): Promise<string[]> {
  return inTransaction(db, (tx) => endIn(tx, input));
}

export function changePasswordWith(
  db: PostgresConnections,
  input: { userId: string; passwordHash: string; keepSessionId: string },
): Promise<string[]> {
  return inTransaction(db, async (tx) => {
    await tx.query('UPDATE users SET password_hash = $1 WHERE id = $2', [input.passwordHash, input.userId]);
    return endIn(tx, { userId: input.userId, except: input.keepSessionId });
  });
}

async function endIn(tx: Session, input: EndInput): Promise<string[]> {
  const { rows } =
    'ids' in input
      ? await tx.query<{ id: string }>('DELETE FROM sessions WHERE user_id = $1 AND id = ANY($2::text[]) RETURNING id', [
          input.userId,
          [...input.ids],
        ])
      : await tx.query<{ id: string }>('DELETE FROM sessions WHERE user_id = $1 AND id <> $2 RETURNING id', [
          input.userId,
          input.except,
        ]);
  return rows.map((row) => row.id).sort();
}
