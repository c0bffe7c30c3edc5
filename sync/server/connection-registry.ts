import type { ServerFrame } from '../protocol/frames.js';

/** What fan-out needs of a connection: who it belongs to and a way to hand it a frame. */
export interface Peer {
  readonly userId: string;
  push(frame: ServerFrame): void;
}

/** Open connections by user: one user may be signed in on several devices at once. */
export class ConnectionRegistry<P extends Peer = Peer> {
  private readonly byUser = new Map<string, Set<P>>();

  add(peer: P): void {
    const peers = this.byUser.get(peer.userId) ?? new Set<P>();
    peers.add(peer);
    this.byUser.set(peer.userId, peers);
  }

  remove(peer: P): void {
    const peers = this.byUser.get(peer.userId);
    if (!peers) return;
    peers.delete(peer);
    if (peers.size === 0) this.byUser.delete(peer.userId);
  }

  all(): P[] {
    return [...this.byUser.values()].flatMap((peers) => [...peers]);
  }

  /** Pushes to every open connection of these users, skipping `except` (usually the requester). */
  pushToUsers(userIds: Iterable<string>, frame: ServerFrame, except?: Peer): void {
    for (const userId of new Set(userIds)) {
      for (const peer of this.byUser.get(userId) ?? []) {
        if (peer !== except) peer.push(frame);
      }
    }
  }
}
