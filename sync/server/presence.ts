import type { Clock } from '../common/runtime.js';
import type { PresencePush } from '../protocol/frames.js';
import type { Peer } from './connection-registry.js';
import type { Delivery } from './delivery.js';
import type { InFlight } from './in-flight.js';
import type { ServerLogger } from './logger.js';
import type { ServerStore } from './store/server-store.js';

export interface PresenceDeps {
  store: Pick<ServerStore, 'listContacts' | 'listWriters' | 'getLastSeen' | 'recordLastSeen'>;
  /** Online and pushes span every node of a cluster. */
  registry: Pick<Delivery, 'isOnline' | 'isOnlineElsewhere' | 'pushToUsers' | 'pushHere'>;
  /** The other nodes, told of the user's first and last connection here before their contacts are. */
  cluster: { connectionsChanged(userId: string, online: boolean): Promise<void> } | null;
  clock: Clock;
  logger: ServerLogger;
  /** Shutdown drains it, so last-seen times are written before the store closes. */
  inFlight: InFlight;
}

/**
 * Who is online, told to their contacts: the people they share presence with (presence-rules.ts: a
 * conversation in which both have written, no block between them, both show when they are online;
 * the store's listContacts decides, and every step below asks it, so last seen follows too). Online
 * means at least one open connection; the registry says when a user's first connection opens and
 * their last one closes, and this turns those transitions into `presence` pushes.
 *
 * Each step needs the store (contacts, last seen), so steps are asynchronous; they run one at a
 * time in the order the transitions happened. Without that, a quick disconnect-reconnect could
 * reach contacts as "online, offline" and leave them believing the wrong one. With it, the last
 * presence frame a client gets about someone matches that person's latest transition.
 */
export class Presence {
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: PresenceDeps) {}

  /**
   * A connection was registered (after its welcome). It gets its contacts' presence; if it is the
   * user's first connection (`first`, from registry.add), the contacts hear that the user is online.
   */
  connected(peer: Peer, first: boolean): void {
    const { store, registry } = this.deps;
    this.enqueue(async () => {
      // Three round trips at once, not one after another: a node that restarts has thousands of
      // these queued. None depends on another; the directory is written before anyone is told.
      const [contacts, lastSeenAt] = await Promise.all([
        store.listContacts(peer.userId),
        // Still the previous visit's time: "online now, last seen before that".
        first ? store.getLastSeen(peer.userId) : null,
        first ? this.deps.cluster?.connectionsChanged(peer.userId, true) : undefined,
      ]);
      for (const contact of contacts) {
        peer.push(presence(contact.userId, registry.isOnline(contact.userId), contact.lastSeenAt));
      }
      if (first) registry.pushToUsers(ids(contacts), presence(peer.userId, true, lastSeenAt));
    });
  }

  /** A connection closed; if it was the user's last (`last`, from registry.remove), they went offline now. */
  disconnected(userId: string, last: boolean): void {
    if (!last) return;
    const { store, registry } = this.deps;
    // Taken now, not when the step runs: the user left at this moment.
    const at = this.deps.clock.now();
    this.enqueue(async () => {
      await this.deps.cluster?.connectionsChanged(userId, false);
      // Still connected to another node of the cluster: not offline at all.
      if (registry.isOnlineElsewhere(userId)) return;
      await store.recordLastSeen({ userId, at });
      const contacts = await store.listContacts(userId);
      // Only here: every other node tells its own contacts when the signal above reaches it. A frame
      // from here could reach a node after the user's connection there announced them online again.
      registry.pushHere(ids(contacts), presence(userId, false, at));
    });
  }

  /**
   * The user is connected to no node any more, as this node learned from the others (the node they
   * were on died, or its signal said so): the contacts connected to this node hear they went
   * offline (every node tells its own; the node that reaped a dead one recorded the time).
   */
  vanished(userId: string, at: number): void {
    const { store, registry } = this.deps;
    this.enqueue(async () => {
      if (registry.isOnline(userId)) return;
      const contacts = await store.listContacts(userId);
      registry.pushHere(ids(contacts), presence(userId, false, at));
    });
  }

  /** The user was connected nowhere, as this node knew, and another node says they are now: the contacts here hear it. */
  appeared(userId: string): void {
    const { store, registry } = this.deps;
    this.enqueue(async () => {
      if (!registry.isOnline(userId)) return;
      const [contacts, lastSeenAt] = await Promise.all([store.listContacts(userId), store.getLastSeen(userId)]);
      registry.pushHere(ids(contacts), presence(userId, true, lastSeenAt));
    });
  }

  /** Another node told the contacts the user went offline, but they are connected here: online again. */
  stillOnline(userId: string): void {
    const { store, registry } = this.deps;
    this.enqueue(async () => {
      if (!registry.isOnline(userId)) return;
      const [contacts, lastSeenAt] = await Promise.all([store.listContacts(userId), store.getLastSeen(userId)]);
      registry.pushToUsers(ids(contacts), presence(userId, true, lastSeenAt));
    });
  }

  /**
   * These people may have just begun to share presence (presence-rules.ts): a newcomer's first
   * message in a conversation, a block lifted, "Show when I'm online" back to everyone. Each
   * newcomer and each of `newcomers` and `others` who is their contact now (the store decides, read
   * when the step runs, so a block made or a setting changed since counts) hear each other's presence.
   */
  introduce(people: { newcomers: readonly string[]; others: readonly string[] }): void {
    const { store, registry } = this.deps;
    const among = new Set([...people.newcomers, ...people.others]);
    this.enqueue(async () => {
      for (const userId of people.newcomers) {
        // The contacts are read last, just before telling: steps on different nodes are not ordered,
        // so this keeps short the time in which another node's leave or block, told from there, can
        // be overtaken by an introduction that read the contacts before it.
        const lastSeenAt = await store.getLastSeen(userId);
        const contacts = (await store.listContacts(userId)).filter((contact) => among.has(contact.userId));
        if (contacts.length === 0) continue;
        const online = registry.isOnline(userId);
        registry.pushToUsers(ids(contacts), presence(userId, online, lastSeenAt));
        // Nobody to tell the others' presence to.
        if (!online) continue;
        for (const contact of contacts) {
          registry.pushToUsers([userId], presence(contact.userId, registry.isOnline(contact.userId), contact.lastSeenAt));
        }
      }
    });
  }

  /**
   * `userId` just left a conversation or was removed from it, so the members who wrote there may no
   * longer share presence with them (presence-rules.ts). Those who are not their contacts now (the
   * store decides when the step runs: a conversation they still share both wrote in keeps them
   * contacts) and they hear each other away, last seen unknown, as when a block begins
   * (withdraw); no later step tells either about the other. Queued behind the steps
   * before it, so none of those, having read the contacts before the change, can have the last word.
   */
  parted(change: { userId: string; conversationId: string }): void {
    const { store } = this.deps;
    this.enqueue(async () => {
      const contacts = new Set(ids(await store.listContacts(change.userId)));
      const writers = await store.listWriters(change.conversationId);
      const apart = writers.filter((writer) => writer !== change.userId && !contacts.has(writer));
      this.tellApart(change.userId, apart);
    });
  }

  /**
   * `userId` and each of `others` stopped sharing presence (a block began, or "Show when I'm
   * online" became nobody): each hears the other away, last seen unknown. In the queue like every
   * other step, so a step queued before, which read the contacts before the change, cannot have the
   * last word.
   */
  withdraw(change: { userId: string; others: readonly string[] }): void {
    this.enqueue(() => {
      this.tellApart(change.userId, change.others);
      return Promise.resolve();
    });
  }

  private tellApart(userId: string, others: readonly string[]): void {
    if (others.length === 0) return;
    const { registry } = this.deps;
    registry.pushToUsers(others, presence(userId, false, null));
    for (const other of others) registry.pushToUsers([userId], presence(other, false, null));
  }

  private enqueue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: unknown) => this.deps.logger.error('Presence update failed', error));
    void this.deps.inFlight.track(this.chain);
  }
}

function presence(userId: string, online: boolean, lastSeenAt: number | null): PresencePush {
  return { type: 'presence', userId, online, lastSeenAt };
}

function ids(contacts: ReadonlyArray<{ userId: string }>): string[] {
  return contacts.map((contact) => contact.userId);
}
