import type { ServerFrame } from '../protocol/frames.js';
import type { ClusterSignal } from './cluster/cluster-signal.js';
import type { ConnectionRegistry, Peer } from './connection-registry.js';
import type { Fanout } from './handlers/handler-result.js';

/** What delivery needs of the other nodes: nothing on a single node. */
export interface ClusterLink {
  publish(signal: ClusterSignal): void;
  /** Whether the user has a connection on another live node. */
  isOnlineElsewhere(userId: string): boolean;
}

/**
 * Where pushes go: to this node's own connections at once, and, when other nodes share the store,
 * to theirs through the cluster (a stored event by reference, anything else as its frame). Online
 * means a connection on any live node.
 */
export class Delivery {
  constructor(
    private readonly registry: ConnectionRegistry<Peer>,
    private readonly cluster: ClusterLink | null,
  ) {}

  isOnline(userId: string): boolean {
    return this.registry.isOnline(userId) || (this.cluster?.isOnlineElsewhere(userId) ?? false);
  }

  isOnlineElsewhere(userId: string): boolean {
    return this.cluster?.isOnlineElsewhere(userId) ?? false;
  }

  /** Pushes to every connection of these users on every node, skipping `except` (usually the requester). */
  pushToUsers(userIds: readonly string[], frame: ServerFrame, except?: Peer): void {
    // The other nodes first: their way is the longer (through the database), so whatever
    // the bus can start at once starts before this node serialises and writes its own pushes.
    if (this.cluster && userIds.length > 0) {
      this.cluster.publish(
        frame.type === 'event'
          ? {
              kind: 'event',
              conversationId: frame.event.conversationId,
              seq: frame.event.seq,
              userIds: [...userIds],
              event: frame.event,
            }
          : { kind: 'frame', userIds: [...userIds], frame },
      );
    }
    this.registry.pushToUsers(userIds, frame, except);
  }

  /** A handler's push to every connection of its users, the requesting one only when the push says so. */
  fanout(fanout: Fanout, requester: Peer): void {
    this.pushToUsers(fanout.userIds, fanout.frame, fanout.exceptRequester ? requester : undefined);
  }

  /** Only this node's connections: what a node does with what another one told it. */
  pushHere(userIds: readonly string[], frame: ServerFrame): void {
    this.registry.pushToUsers(userIds, frame);
  }
}
