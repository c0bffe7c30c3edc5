import type { OnlineVisibility } from '../../protocol/frames.js';
import { sharesPresence } from '../../protocol/presence-rules.js';
import type { Contact } from './server-store.js';

/** A row of writtenWithSql (shared-sql.ts), as both stores read it. */
export interface WrittenWithRow {
  user_id: string;
  last_seen_at: number | null;
  blocked: number;
  hides_online: number;
  viewer_hides_online: number;
}

/**
 * The viewer's contacts among the people they have written with: those the presence rule lets
 * them share presence with (presence-rules.ts). `asIfShowing` judges the viewer as showing when
 * they are online whatever they chose: who sees them once they show, or saw them before they hid.
 */
export function contactsFrom(rows: readonly WrittenWithRow[], options: { asIfShowing?: boolean } = {}): Contact[] {
  return rows
    .filter((row) =>
      sharesPresence({
        bothWrote: true,
        blocked: row.blocked === 1,
        shows: [options.asIfShowing ? 'everyone' : visibility(row.viewer_hides_online), visibility(row.hides_online)],
      }),
    )
    .map((row) => ({ userId: row.user_id, lastSeenAt: row.last_seen_at }));
}

function visibility(hides: number): OnlineVisibility {
  return hides === 1 ? 'nobody' : 'everyone';
}
