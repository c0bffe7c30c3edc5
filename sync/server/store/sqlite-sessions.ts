import type { cachedStatement, Db } from '../../node/sqlite.js';
import type { NewSession, SessionsUse, SessionUse, StoredSession } from './server-store.js';
import { freeDeviceNumberSql, sessionUseSql } from './shared-sql.js';
import { toUser, type SessionUseRow } from './store-rows.js';

/**
 * Sessions in the SQLite store: each method is one transaction (BEGIN IMMEDIATE for the writers),
 * so counting a user's devices and adding one cannot interleave with another sign-in.
 */

interface SessionRow {
  id: string;
  user_id: string;
  device_number: number;
  device_name: string | null;
  created_at: number;
  last_used_at: number;
}

type Statement = ReturnType<typeof cachedStatement>;

export class SqliteSessions {
  private readonly insert: Statement;
  private readonly deleteExpiredOf: Statement;
  private readonly countOf: Statement;
  private readonly byToken: Statement;
  private readonly lastUsesOf: Statement;
  private readonly touch: Statement;
  private readonly deleteByToken: Statement;
  private readonly listOf: Statement;
  private readonly idsOf: Statement;
  private readonly deleteById: Statement;
  private readonly setPassword: Statement;
  private readonly takeDeviceNumber: Statement;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO sessions (token_hash, id, user_id, device_number, device_name, created_at, last_used_at)
       VALUES (@tokenHash, @id, @userId, @deviceNumber, @deviceName, @createdAt, @createdAt)`,
    );
    this.takeDeviceNumber = db.prepare(freeDeviceNumberSql('@userId')).pluck();
    this.deleteExpiredOf = db.prepare('DELETE FROM sessions WHERE user_id = ? AND last_used_at < ?');
    this.countOf = db.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').pluck();
    this.byToken = db.prepare(sessionUseSql('?'));
    this.lastUsesOf = db.prepare(
      'SELECT token_hash, last_used_at FROM sessions WHERE token_hash IN (SELECT DISTINCT value FROM json_each(?))',
    );
    this.touch = db.prepare('UPDATE sessions SET last_used_at = ? WHERE token_hash = ?');
    this.deleteByToken = db.prepare('DELETE FROM sessions WHERE token_hash = ?');
    this.listOf = db.prepare(
      `SELECT id, user_id, device_number, device_name, created_at, last_used_at FROM sessions
       WHERE user_id = ? AND last_used_at >= ? ORDER BY last_used_at DESC, id`,
    );
    this.idsOf = db.prepare('SELECT id FROM sessions WHERE user_id = ? ORDER BY id').pluck();
    this.deleteById = db.prepare('DELETE FROM sessions WHERE user_id = ? AND id = ?');
    this.setPassword = db.prepare('UPDATE users SET password_hash = ? WHERE id = ?');
  }

  create(input: NewSession & { maxDevices: number; expiredBefore: number }): 'created' | 'too_many_devices' {
    return this.db
      .transaction(() => {
        this.deleteExpiredOf.run(input.userId, input.expiredBefore);
        if ((this.countOf.get(input.userId) as number) >= input.maxDevices) return 'too_many_devices' as const;
        const deviceNumber = this.takeDeviceNumber.get({ userId: input.userId }) as number;
        this.insert.run({ ...input, deviceNumber });
        return 'created' as const;
      })
      .immediate();
  }

  use(input: { tokenHash: string; now: number; expiredBefore: number; touchBefore: number }): SessionUse | null {
    return this.db.transaction(() => this.useIn(input)).immediate();
  }

  /** The hashes of those still open, all used in one transaction: one read, and a write only where one is due. */
  useMany(input: SessionsUse): Set<string> {
    return this.db
      .transaction(() => {
        const open = new Set<string>();
        const rows = this.lastUsesOf.all(JSON.stringify(input.tokenHashes)) as Array<{
          token_hash: string;
          last_used_at: number;
        }>;
        for (const { token_hash: tokenHash, last_used_at: lastUsedAt } of rows) {
          if (lastUsedAt < input.expiredBefore) {
            this.deleteByToken.run(tokenHash);
            continue;
          }
          if (lastUsedAt < input.touchBefore) this.touch.run(input.now, tokenHash);
          open.add(tokenHash);
        }
        return open;
      })
      .immediate();
  }

  private useIn(input: { tokenHash: string; now: number; expiredBefore: number; touchBefore: number }): SessionUse | null {
    const row = this.byToken.get(input.tokenHash) as SessionUseRow | undefined;
    if (!row) return null;
    if (row.last_used_at < input.expiredBefore) {
      this.deleteByToken.run(input.tokenHash);
      return null;
    }
    if (row.last_used_at < input.touchBefore) this.touch.run(input.now, input.tokenHash);
    return { user: toUser(row), sessionId: row.session_id, deviceNumber: row.device_number };
  }

  list(userId: string, expiredBefore: number): StoredSession[] {
    return (this.listOf.all(userId, expiredBefore) as SessionRow[]).map((row) => ({
      id: row.id,
      userId: row.user_id,
      deviceNumber: row.device_number,
      deviceName: row.device_name,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    }));
  }

  end(input: { userId: string } & ({ ids: readonly string[] } | { except: string })): string[] {
    return this.db.transaction(() => this.endIn(input)).immediate();
  }

  changePassword(input: { userId: string; passwordHash: string; keepSessionId: string }): string[] {
    return this.db
      .transaction(() => {
        this.setPassword.run(input.passwordHash, input.userId);
        return this.endIn({ userId: input.userId, except: input.keepSessionId });
      })
      .immediate();
  }

  private endIn(input: { userId: string } & ({ ids: readonly string[] } | { except: string })): string[] {
    const own = this.idsOf.all(input.userId) as string[];
    const targets = 'ids' in input ? own.filter((id) => input.ids.includes(id)) : own.filter((id) => id !== input.except);
    for (const id of targets) this.deleteById.run(input.userId, id);
    return targets;
  }
}
