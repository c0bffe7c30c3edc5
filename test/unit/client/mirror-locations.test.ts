/**
 * Live locations in the mirror (issue 33): every device shows the same position whatever order the
 * moves arrive in (the newest `at` stands), and after a stop the position stays where it was when
 * it stopped. Which moves are taken at all is the rule's (test/unit/content/locations.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';
import { addMeAndAnn, createTempMirrorPaths } from '../../support/test-mirror.js';

const paths = createTempMirrorPaths('mirror-locations-');
afterEach(() => paths.cleanup());

const UNTIL = 100_000;
const base = (seq: number, senderId: string) => ({ conversationId: 'c1', seq, senderId, sentAt: 1000 + seq });
const shared = (seq: number): AppliedEvent => ({
  kind: 'message',
  ...base(seq, 'ann'),
  clientMessageId: 'l1',
  text: 'Walking home',
  replyTo: null,
  deleted: false,
  attachments: [],
  location: { lat: 10, lon: 20, live: { until: UNTIL } },
});
const move = (seq: number, at: number, lat: number, senderId = 'ann'): AppliedEvent => ({
  kind: 'message_state',
  ...base(seq, senderId),
  clientChangeId: `m${seq}`,
  messageId: 'l1',
  state: { kind: 'location_move', messageId: 'l1', lat, lon: 20, at },
});
const stop = (seq: number, at: number): AppliedEvent => ({
  kind: 'message_state',
  ...base(seq, 'ann'),
  clientChangeId: `s${seq}`,
  messageId: 'l1',
  state: { kind: 'location_stop', messageId: 'l1', at },
});

/** The events in this order, each given the next seq (the server's order on this run). */
function shownAfter(events: readonly ((seq: number) => AppliedEvent)[]) {
  const mirror = Mirror.open(paths.path());
  addMeAndAnn(mirror);
  mirror.applyEvents(
    'c1',
    events.map((event, index) => event(index + 1)),
    'me',
  );
  const location = mirror.views.messageView('c1', 'l1', 'me')?.location;
  mirror.close();
  return location;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('a live location in the mirror', () => {
  it('shows the move with the newest at, whatever order the moves arrived in', () => {
    const moves = [
      (seq: number) => move(seq, 3000, 11),
      (seq: number) => move(seq, 9000, 13),
      (seq: number) => move(seq, 6000, 12),
    ];
    for (const order of permutations(moves)) {
      expect(shownAfter([shared, ...order])).toEqual({ lat: 13, lon: 20, live: { until: UNTIL, stopped: false } });
    }
  });

  it('after a stop, from any order, stays where it was when it stopped', () => {
    const events = [(seq: number) => move(seq, 3000, 11), (seq: number) => stop(seq, 5000), (seq: number) => move(seq, 4000, 12)];
    for (const order of permutations(events)) {
      expect(shownAfter([shared, ...order])).toEqual({ lat: 12, lon: 20, live: { until: UNTIL, stopped: true } });
    }
  });

  it('is not moved at all when it is not live', () => {
    const still: (seq: number) => AppliedEvent = (seq) => ({ ...shared(seq), location: { lat: 10, lon: 20 } }) as AppliedEvent;
    expect(shownAfter([still, (seq) => move(seq, 3000, 11)])).toEqual({ lat: 10, lon: 20, live: null });
  });

  it('is forwarded as its first point, never live', () => {
    const mirror = Mirror.open(paths.path());
    addMeAndAnn(mirror);
    mirror.applyEvents('c1', [shared(1)], 'me');
    mirror.enqueueForward({
      source: { conversationId: 'c1', messageId: 'l1' },
      targets: [{ conversationId: 'c1', messageId: 'f1' }],
      senderId: 'me',
      text: 'Walking home',
      forwardedFrom: 'Ann',
      now: 5000,
    });
    expect(mirror.views.messageView('c1', 'f1', 'me')?.location).toEqual({ lat: 10, lon: 20, live: null });
    mirror.close();
  });
});
