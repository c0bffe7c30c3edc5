/**
 * A rename that opens late (its key came after its sender left the group) is judged by the role
 * the server attested when it stored the envelope (protocol/envelope-frames.ts: senderRole), as it
 * was on the devices where it opened at once; the simulation found a device that judged it by the
 * members as they were after, and dropped the group's name.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import type { Conversation, ConversationEvent } from '../../../sync/protocol/frames.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { createTempMirrorPaths } from '../../support/test-mirror.js';

const paths = createTempMirrorPaths('late-role-');
afterEach(() => paths.cleanup());

const alice = { id: 'alice', username: 'alice', displayName: 'Alice' };
const bob = { id: 'bob', username: 'bob', displayName: 'Bob' };

/** Alice, added to Bob's group at seq 3; Bob renames it at seq 4 (sealed) and leaves at seq 5. */
function aliceAfterBobLeft(senderRole: EnvelopeEvent['senderRole']): Mirror {
  const mirror = Mirror.open(paths.path());
  const group: Conversation = {
    id: 'g1',
    kind: 'group',
    name: null,
    members: [
      { ...bob, role: 'owner', deliveredSeq: 0, readSeq: 0 },
      { ...alice, role: 'member', deliveredSeq: 0, readSeq: 0 },
    ],
    lastSeq: 3,
    createdAt: 1,
    isMember: true,
  };
  mirror.upsertConversation(group, 'alice');
  const rename: EnvelopeEvent = {
    kind: 'envelope',
    conversationId: 'g1',
    seq: 4,
    senderId: 'bob',
    senderDevice: 1,
    clientId: 'rename-1',
    ciphertext: 'AAAA',
    attachments: [],
    deleted: false,
    sentAt: 40,
    ...(senderRole ? { senderRole } : {}),
  };
  const events: ConversationEvent[] = [
    {
      kind: 'members_added',
      conversationId: 'g1',
      seq: 3,
      senderId: 'bob',
      sentAt: 30,
      clientChangeId: 'add-1',
      members: [alice],
    },
    rename,
    {
      kind: 'member_left',
      conversationId: 'g1',
      seq: 5,
      senderId: 'bob',
      sentAt: 50,
      clientChangeId: 'leave-1',
      newOwnerId: 'alice',
    },
  ];
  // The key had not come: the rename waits, and what came after it applies.
  mirror.applyEvents('g1', events, 'alice', { skippedTo: 2 });
  return mirror;
}

function openLate(mirror: Mirror): string | null {
  const waiting = mirror.waitingEnvelopes('g1', (seq, error) => {
    throw new Error(`seq ${seq}: ${String(error)}`);
  });
  expect(waiting.map((envelope) => envelope.seq)).toEqual([4]);
  mirror.applyOpenedLate('g1', waiting, 'alice', {
    opened: new Map([[4, { kind: 'rename', name: 'Trip' }]]),
    ratchet: { writeTo: () => undefined },
  });
  return mirror.views.conversationSummaries('alice').find((conversation) => conversation.id === 'g1')?.title ?? null;
}

describe('content that opens late', () => {
  it('is judged by the role the server attested: the owner’s rename names the group, though the owner left since', () => {
    const mirror = aliceAfterBobLeft('owner');
    expect(openLate(mirror)).toBe('Trip');
    mirror.close();
  });

  it('is refused when the server attested a plain member, whatever the members here say', () => {
    const mirror = aliceAfterBobLeft('member');
    expect(openLate(mirror)).not.toBe('Trip');
    mirror.close();
  });
});
