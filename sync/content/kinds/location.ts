/**
 * A live location's moves and its end (issue 33) as content that changes its message, declared
 * like a poll's votes: only the author moves it, the move with the newest `at` (the author's clock)
 * stands whatever order they arrive in, none after its `until`; any of the author's devices stops it.
 */
import { z } from 'zod';
import { instant, latitude, longitude } from '../../common/locations.js';
import { id as messageId } from '../../protocol/wire-types.js';
import type { MessageStateKind, MessageStateTarget } from './message-state-kind.js';
import type { ContentRefusal, ContentSender } from '../content-sender.js';

/** Where the author is now. */
export const locationMoveSchema = z.object({
  kind: z.literal('location_move'),
  messageId,
  lat: latitude,
  lon: longitude,
  at: instant,
});
export type LocationMove = z.infer<typeof locationMoveSchema>;

/** The author stops sharing before its `until`: moves after `at` are not shown. */
export const locationStopSchema = z.object({ kind: z.literal('location_stop'), messageId, at: instant });
export type LocationStop = z.infer<typeof locationStopSchema>;

/** Only the author of a live location, while it is there. */
function refuseUnlessAuthorsLive(sender: ContentSender, target: MessageStateTarget): ContentRefusal | null {
  if (target.deleted) return 'message_deleted';
  if (!target.location?.live) return 'not_allowed';
  return target.authorId === sender.id ? null : 'not_author';
}

export const locationMoveKind: MessageStateKind<LocationMove> = {
  schema: locationMoveSchema,
  holder: 'message',
  keeps: 'newest_at',
  refuse(move, sender, target) {
    const refusal = refuseUnlessAuthorsLive(sender, target);
    if (refusal !== null) return refusal;
    return move.at > target.location!.live!.until ? 'not_allowed' : null;
  },
  value: (move) => ({ lat: move.lat, lon: move.lon, at: move.at }),
};

export const locationStopKind: MessageStateKind<LocationStop> = {
  schema: locationStopSchema,
  // The first stop stands: another of the author's devices stopping it too changes nothing.
  holder: 'message',
  keeps: 'first',
  refuse: (_stop, sender, target) => refuseUnlessAuthorsLive(sender, target),
  value: (stop) => ({ at: stop.at }),
};

/** What the mirror keeps of a move and of a stop, read back and checked. */
export const storedMoveSchema = z.object({ lat: latitude, lon: longitude, at: instant });
export const storedStopSchema = z.object({ at: instant });
