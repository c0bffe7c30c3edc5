/**
 * The live locations this device shares (migration 37): written with the message that starts one,
 * so a restarted app watches the position again until its time is up. Only the device that sent a
 * live location moves it; the person's other devices show it and may stop it.
 */
import { z } from 'zod';
import type { SharedLiveLocation } from '../../app-api/locations-api.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';

const rowSchema = z.object({ conversation_id: z.string(), message_id: z.string(), until: z.number().int() });

export class LiveLocationsHere {
  constructor(private readonly db: Db) {}

  add(shared: SharedLiveLocation): void {
    cachedStatement(
      this.db,
      'INSERT OR REPLACE INTO live_locations_here (conversation_id, message_id, until) VALUES (?, ?, ?)',
    ).run(shared.conversationId, shared.messageId, shared.until);
  }

  remove(conversationId: string, messageId: string): void {
    cachedStatement(this.db, 'DELETE FROM live_locations_here WHERE conversation_id = ? AND message_id = ?').run(
      conversationId,
      messageId,
    );
  }

  /** Those still running at `now`; the rest are removed. A row that does not parse is skipped (left as it is). */
  running(now: number): SharedLiveLocation[] {
    cachedStatement(this.db, 'DELETE FROM live_locations_here WHERE until <= ?').run(now);
    const rows = cachedStatement(this.db, 'SELECT * FROM live_locations_here ORDER BY until').all();
    return rows.flatMap((raw) => {
      const row = rowSchema.safeParse(raw);
      return row.success
        ? [{ conversationId: row.data.conversation_id, messageId: row.data.message_id, until: row.data.until }]
        : [];
    });
  }
}
