/**
 * Where a push goes: this node's connections and, when other nodes share the store, theirs through
 * the cluster, which is told first (its way is the longer).
 */
import { describe, expect, it } from 'vitest';
import type { ConversationEvent, ServerFrame } from '../../../sync/protocol/frames.js';
import type { ClusterSignal } from '../../../sync/server/cluster/cluster-signal.js';
import { ConnectionRegistry, type Peer } from '../../../sync/server/connection-registry.js';
import { Delivery, type ClusterLink } from '../../../sync/server/delivery.js';

function setUp() {
  const happened: string[] = [];
  const registry = new ConnectionRegistry<Peer>();
  const peer = (userId: string): Peer => ({
    userId,
    push: (frame) => happened.push(`push ${userId} ${frame.type}`),
    pushText: (text) => happened.push(`push ${userId} ${(JSON.parse(text) as ServerFrame).type}`),
  });
  const cluster: ClusterLink = {
    publish: (signal: ClusterSignal) => happened.push(`publish ${signal.kind}`),
    isOnlineElsewhere: () => false,
  };
  const alice = peer('alice');
  registry.add(alice);
  registry.add(peer('bob'));
  return { happened, alice, delivery: new Delivery(registry, cluster) };
}

const typing: ServerFrame = { type: 'typing', conversationId: 'c1', userId: 'alice' };

describe('Delivery', () => {
  it('tells the other nodes before it writes to its own connections', () => {
    const { happened, delivery } = setUp();
    delivery.pushToUsers(['alice', 'bob'], typing);
    expect(happened).toEqual(['publish frame', 'push alice typing', 'push bob typing']);
  });

  it('skips the requester here but still tells the other nodes, where its user may have other connections', () => {
    const { happened, alice, delivery } = setUp();
    delivery.pushToUsers(['alice', 'bob'], typing, alice);
    expect(happened).toEqual(['publish frame', 'push bob typing']);
  });

  it('sends a stored event to the other nodes with its signal, so they need not read it back', () => {
    const published: ClusterSignal[] = [];
    const delivery = new Delivery(new ConnectionRegistry<Peer>(), {
      publish: (signal) => published.push(signal),
      isOnlineElsewhere: () => true,
    });
    const event: ConversationEvent = {
      kind: 'envelope',
      conversationId: 'c1',
      seq: 3,
      senderId: 'alice',
      senderDevice: 1,
      clientId: 'm3',
      ciphertext: 'aGk=',
      attachments: [],
      deleted: false,
      sentAt: 1,
    };
    delivery.pushToUsers(['bob'], { type: 'event', event });
    expect(published).toEqual([{ kind: 'event', conversationId: 'c1', seq: 3, userIds: ['bob'], event }]);
  });

  it('tells nobody about a push for nobody', () => {
    const { happened, delivery } = setUp();
    delivery.pushToUsers([], typing);
    expect(happened).toEqual([]);
  });
});
