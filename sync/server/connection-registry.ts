import type { ServerFrame } from '../protocol/frames.js';

/** What fan-out needs of a connection: who it belongs to and a way to hand it a frame. */
export interface Peer {
  readonly userId: string;
  push(frame: ServerFrame): void;
  /** The frame already serialised: fan-out to a thousand members stringifies it once, not per socket. */
  pushText(text: string): void;
}

/** Open connections by user: one user may be signed in on several devices at once. */
export class ConnectionRegistry<P extends Peer = Peer> {
  private readonly byUser = new Map<string, Set<P>>();

  /** True when this is the user's first open connection: they just came online. */
  add(peer: P): boolean {
    const peers = this.byUser.get(peer.userId) ?? new Set<P>();
    const first = peers.size === 0;
    peers.add(peer);
    this.byUser.set(peer.userId, peers);
    return first;
  }

  /** True when this was the user's last open connection: they just went offline. */
  remove(peer: P): boolean {
    const peers = this.byUser.get(peer.userId);
    if (!peers?.delete(peer)) return false;
    if (peers.size > 0) return false;
    this.byUser.delete(peer.userId);
    return true;
  }

  /** Whether the user has at least one open connection. */
  isOnline(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** The user's open connections here. */
  connectionsOf(userId: string): P[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  all(): P[] {
    return [...this.byUser.values()].flatMap((peers) => [...peers]);
  }

  /** Pushes to every open connection of these users, skipping `except` (usually the requester). */
  pushToUsers(userIds: Iterable<string>, frame: ServerFrame, except?: Peer): void {
    let text: string | null = null;
    for (const userId of new Set(userIds)) {
      for (const peer of this.byUser.get(userId) ?? []) {
        if (peer === except) continue;
        text ??= JSON.stringify(frame);
        peer.pushText(text);
      }
    }
  }
}
