import { z } from 'zod';
import { cachedStatement, type Db } from '../../node/sqlite.js';

/**
 * Session tokens signed out of while the server could not be told: kept (inside the mirror, like
 * every token) until the server has revoked them, whoever signs in on this device meanwhile.
 */
const META_KEY = 'pending_revocations';

const pendingRevocationsSchema = z.array(z.object({ httpBase: z.string().min(1), token: z.string().min(1) }));
export type PendingRevocation = z.infer<typeof pendingRevocationsSchema>[number];

export class RevocationStore {
  constructor(private readonly db: Db) {}

  /** Every token still to revoke; a damaged value reads as none (it is replaced at the next write). */
  pending(): PendingRevocation[] {
    const row = cachedStatement(this.db, 'SELECT value FROM meta WHERE key = ?').get(META_KEY) as { value: string } | undefined;
    if (!row) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.value);
    } catch {
      return [];
    }
    const checked = pendingRevocationsSchema.safeParse(parsed);
    return checked.success ? checked.data : [];
  }

  add(revocation: PendingRevocation): void {
    const others = this.pending().filter((item) => item.token !== revocation.token);
    this.write([...others, revocation]);
  }

  /** Forgets a token the server revoked (or no longer knows). */
  done(token: string): void {
    this.write(this.pending().filter((item) => item.token !== token));
  }

  private write(list: PendingRevocation[]): void {
    if (list.length === 0) {
      cachedStatement(this.db, 'DELETE FROM meta WHERE key = ?').run(META_KEY);
      return;
    }
    cachedStatement(
      this.db,
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(META_KEY, JSON.stringify(list));
  }
}

/** Meta keys that outlive a change of account on the profile. */
export const REVOCATIONS_META_KEY = META_KEY;
