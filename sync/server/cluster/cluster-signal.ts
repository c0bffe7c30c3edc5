import { z } from 'zod';
import { conversationEventSchema, serverFrameSchema, type ConversationEvent, type ServerFrame } from '../../protocol/frames.js';

/**
 * What one server node tells the others that share its store. A stored event says where it is
 * (conversation, seq) and carries the event itself when that is small enough for the bus, which
 * the receiving node pushes as the publisher pushed it to its own connections, without reading it
 * back; a larger one each node reads from the database as its own connected members may see it.
 * Pushes that are not stored anywhere (typing, presence, watermarks, settings changes, a
 * conversation's arrival) travel as frames.
 */
export type ClusterSignal =
  /**
   * A stored event for `userIds` (all of whom see it the same way, as the publisher decided), and
   * the event as they see it when it travels with the signal (a bus may leave it out: too large).
   */
  | { kind: 'event'; conversationId: string; seq: number; userIds: string[]; event?: ConversationEvent }
  /** A frame for every connection of `userIds` on the receiving node. */
  | { kind: 'frame'; userIds: string[]; frame: ServerFrame }
  /** The user's first connection on the publishing node opened (`online`), or its last one closed. */
  | { kind: 'connections'; userId: string; online: boolean }
  /** The publishing node is shutting down cleanly: what it stored, it also told. */
  | { kind: 'leaving' }
  /**
   * The publishing node started. If a run under the same id still counted as live and never said it
   * was leaving, that run died, and what it stored it may not have told (the new run's heartbeat
   * goes on where the old one stopped, so it is never reaped as dead).
   */
  | { kind: 'started' }
  /** These sessions of the user were revoked or expired: every node closes their sockets. */
  | { kind: 'sessions_ended'; userId: string; sessionIds: string[] }
  /**
   * Notifications of the publishing node failed to go out. Its number tells the others of the gap
   * (they catch up, as after any gap); without it they would learn of one only from the node's
   * next signal, which may not come for a long time, and would miss what was lost until then.
   */
  | { kind: 'lost' };

/**
 * Whether a signal carries what the server promises to store nowhere: a call's ephemeral envelopes
 * (call-frames.ts: send_ephemeral). A bus must not park it in the database to pass it on (the
 * PostgreSQL bus sends one too large for a notification in parts instead of spilling it).
 */
export function storedNowhere(signal: ClusterSignal): boolean {
  return signal.kind === 'frame' && signal.frame.type === 'ephemeral_push';
}

/** A signal as it crosses between nodes: who sent it and when (for the fan-out delay metric). */
export interface ClusterEnvelope {
  node: string;
  /** The publisher's clock, in ms. */
  at: number;
  /**
   * The publisher's count of the envelopes it sent, from 1 in each run: a receiver that finds one
   * skipped knows some were lost on the way (a NOTIFY that failed) and treats it as a gap.
   */
  n: number;
  signal: ClusterSignal;
}

/**
 * Numbers one node's envelopes, and tells it, as a receiver, when another node's skipped a number.
 * A node's new run counts from 1 again (it says 'started'); that is no gap.
 */
export class EnvelopeOrder {
  private sent = 0;
  private readonly lastSeen = new Map<string, number>();

  next(): number {
    this.sent += 1;
    return this.sent;
  }

  /** Whether envelopes of `envelope.node` went missing just before this one. */
  missedBefore(envelope: Pick<ClusterEnvelope, 'node' | 'n'>): boolean {
    const last = this.lastSeen.get(envelope.node);
    this.lastSeen.set(envelope.node, envelope.n);
    return last !== undefined && envelope.n > last + 1;
  }
}

const id = z.string().min(1).max(200);
/** Read back from the wire and checked, as everything from outside the process is. */
export const clusterEnvelopeSchema: z.ZodType<ClusterEnvelope> = z.object({
  node: id,
  at: z.number(),
  n: z.number().int().positive(),
  signal: z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('event'),
        conversationId: id,
        seq: z.number().int().positive(),
        userIds: z.array(id),
        event: conversationEventSchema.optional(),
      })
      .refine(
        (signal) => !signal.event || (signal.event.conversationId === signal.conversationId && signal.event.seq === signal.seq),
        {
          message: 'The event a signal carries is the one it names',
        },
      ),
    z.object({ kind: z.literal('frame'), userIds: z.array(id), frame: serverFrameSchema }),
    z.object({ kind: z.literal('connections'), userId: id, online: z.boolean() }),
    z.object({ kind: z.literal('leaving') }),
    z.object({ kind: z.literal('started') }),
    z.object({ kind: z.literal('sessions_ended'), userId: id, sessionIds: z.array(id) }),
    z.object({ kind: z.literal('lost') }),
  ]),
});

/**
 * How nodes reach each other. Signals from one node arrive at every other node in the order they
 * were published, or the receiver is told of a gap: notifications may have been lost (a dropped
 * database connection), and whatever it pushed since may be incomplete.
 */
export interface ClusterBus {
  publish(signal: ClusterSignal): void;
  /** Called once, before the first publish; resolves once signals published from then on will arrive. */
  subscribe(handlers: { signal(envelope: ClusterEnvelope): void; gap(): void }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Which users have connections on which live node, kept in the shared database so that a node that
 * starts (or lost signals) can learn it, and so that the users of a node that died stop counting:
 * a node is live while its heartbeat is younger than CLUSTER_TIMING.deadAfterMs.
 */
export interface NodeDirectory {
  /**
   * Marks `nodeId` alive at `at`. True when it was not registered: its first beat, or the others
   * took it for dead meanwhile (a beat late by more than deadAfterMs) and forgot it with its users.
   */
  heartbeat(nodeId: string, at: number): Promise<boolean>;
  setOnline(nodeId: string, userId: string, online: boolean): Promise<void>;
  /** Nodes whose heartbeat is at or after `liveSince`. */
  liveNodes(liveSince: number): Promise<string[]>;
  /** Users with a connection on a node other than `nodeId` whose heartbeat is at or after `liveSince`. */
  onlineElsewhere(nodeId: string, liveSince: number): Promise<Array<{ userId: string; nodeId: string }>>;
  /**
   * Forgets nodes whose heartbeat is before `deadBefore`, with their users; returns those users
   * that are on no live node now. Two nodes reaping at once each get a disjoint share.
   */
  reapDeadNodes(deadBefore: number): Promise<string[]>;
  /** Forgets this node at a clean shutdown. */
  leave(nodeId: string): Promise<void>;
  /** Lets go of what it holds open (the node has stopped). */
  close(): Promise<void>;
}

export interface ClusterTiming {
  /** How often a node refreshes its heartbeat and its view of the others. */
  heartbeatMs: number;
  /** A node silent this long is dead: its users no longer count as online. */
  deadAfterMs: number;
}

/** A dead node's users stop counting within deadAfterMs + heartbeatMs: 25 s, inside the 30 s promised. */
/** How soon after its notifications failed a bus tells the others (a `lost` signal), and again while that fails too. */
export const LOST_SIGNAL_RETRY_MS = 1_000;

export const CLUSTER_TIMING: ClusterTiming = { heartbeatMs: 5_000, deadAfterMs: 20_000 };
