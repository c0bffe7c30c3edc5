/**
 * Membership as of a seq from the notices a device holds (mirror/membership-notices.ts), as the
 * resend answerer asks it of someone a member now: whether they were one at the seq of an envelope
 * this device's person sealed. The notices miss what came while that person was away, so only
 * those of the stay around the seq tell.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationEvent } from '../../../sync/protocol/frames.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { createTempMirrorPaths } from '../../support/test-mirror.js';

const paths = createTempMirrorPaths('membership-notices-');
afterEach(() => paths.cleanup());

const person = (id: string) => ({ id, username: id, displayName: id });
const base = { conversationId: 'g', senderId: 'me', sentAt: 1 };
const created = (seq: number, ids: string[]): ConversationEvent => ({
  ...base,
  kind: 'group_created',
  seq,
  name: null,
  members: ids.map((id) => ({ ...person(id), role: id === 'me' ? 'owner' : 'member' })),
});
const added = (seq: number, id: string): ConversationEvent => ({
  ...base,
  kind: 'members_added',
  seq,
  clientChangeId: `a${seq}`,
  members: [person(id)],
});
const removed = (seq: number, id: string): ConversationEvent => ({
  ...base,
  kind: 'member_removed',
  seq,
  clientChangeId: `r${seq}`,
  userId: id,
});

/**
 * A mirror of `me`'s that holds the group's membership `events`, and nothing between them (the
 * envelopes there do not matter here; what came while its person was away, catch-up skips).
 */
function holding(events: ConversationEvent[]): (userId: string, seq: number) => boolean {
  const mirror = Mirror.open(paths.path());
  mirror.upsertConversation(
    { id: 'g', kind: 'group', name: 'Trip', isMember: true, createdAt: 1, lastSeq: 0, members: [] },
    'me',
  );
  for (const event of events) mirror.applyEvents('g', [event], 'me', { skippedTo: event.seq - 1 });
  return (userId, seq) => mirror.wasMemberAt('g', userId, 'me', seq);
}

describe('membership as of a seq', () => {
  it('is a member from being added until removed, and again once added again', () => {
    const wasMember = holding([created(1, ['me', 'bob']), added(3, 'carol'), removed(5, 'carol'), added(7, 'carol')]);
    expect([2, 4, 6, 8].map((seq) => wasMember('carol', seq))).toEqual([false, true, false, true]);
    expect([2, 4, 6, 8].map((seq) => wasMember('bob', seq))).toEqual([true, true, true, true]);
  });

  it('takes someone no notice names, or whose first is not an addition, as there before what the device holds', () => {
    // The device's notices begin after the group's creation (its person joined later, with a snapshot).
    const wasMember = holding([added(4, 'me'), removed(6, 'bob')]);
    expect(wasMember('carol', 5)).toBe(true);
    expect(wasMember('bob', 5)).toBe(true);
  });

  it('does not trust what the notices said before its person was away, nor guess across the gap', () => {
    // Me removed at 5 and added again at 8: Carol, removed at 6 and Dan, added at 7, were never seen.
    const wasMember = holding([created(1, ['me', 'carol']), removed(5, 'me'), added(8, 'me'), added(10, 'carol')]);
    // Sealed at 9, after the return: Carol's first notice since is her coming back.
    expect(wasMember('carol', 9)).toBe(false);
    expect(wasMember('carol', 3)).toBe(true);
    // Dan, a member now whom no notice names: there since the return, and nothing tells of before it.
    expect(wasMember('dan', 9)).toBe(true);
    expect(wasMember('dan', 3)).toBe(false);
  });
});
