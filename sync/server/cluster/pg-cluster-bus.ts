import pg from 'pg';
import { z } from 'zod';
import type { Runtime, TimerHandle } from '../../common/runtime.js';
import type { ServerLogger } from '../logger.js';
import {
  clusterEnvelopeSchema,
  EnvelopeOrder,
  LOST_SIGNAL_RETRY_MS,
  storedNowhere,
  type ClusterBus,
  type ClusterEnvelope,
  type ClusterSignal,
} from './cluster-signal.js';

/** The LISTEN/NOTIFY channel every node of one database shares. */
export const CLUSTER_CHANNEL = 'messenger_cluster';
/** PostgreSQL refuses payloads of 8,000 bytes or more; keep clear of it. */
const MAX_PAYLOAD_BYTES = 7_800;
/** A frame too large to notify waits this long in cluster_payloads for the other nodes to read it. */
const SPILL_KEEP_MS = 5 * 60_000;
/**
 * The most notifications one signal stored nowhere may go in (storedNowhere: a call's ephemeral
 * envelopes, under LIMITS.maxFrameBytes as their send_ephemeral was, take about ten).
 */
const MAX_PARTS = 64;
/** Nodes whose signals in parts are joined at once (far more than a cluster has). */
const MAX_PARTIAL_NODES = 64;
/**
 * Notifications one statement sends at most: PostgreSQL allows 1,664 entries in a target list,
 * and a node that fell behind under load has thousands queued (the sustained benchmark at 1,000
 * messages/s queued 2,154: the statement failed, and every node made every client catch up).
 */
const NOTIFICATIONS_PER_STATEMENT = 1_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export interface PostgresClusterBusOptions {
  /** For the listening connection, which lives outside the pool for as long as the node does. */
  url: string;
  /** Publishing borrows from the store's pool. */
  pool: pg.Pool;
  nodeId: string;
  runtime: Runtime;
  logger: ServerLogger;
}

/**
 * The cluster bus on PostgreSQL's LISTEN/NOTIFY. A notification carries a small signal (a stored
 * event's conversation and seq, or a push that is stored nowhere), split into runs of recipients
 * when it is too large for all of them. One too large even for a single recipient (a conversation of
 * a thousand members arriving) goes once into cluster_payloads, and each notification carries its
 * id and a run of recipients: one row, however many people it is for. A signal the server promises
 * to store nowhere (a call's ephemeral envelopes: storedNowhere) is never spilled: too large for
 * one notification, its text goes in consecutive parts of one statement, joined again on arrival.
 *
 * Order: publishing is one queue per node, flushed a batch at a time in statements run one after
 * another, and notifications of one transaction arrive in order, as do those of transactions
 * committed in turn; receiving resolves them one after another.
 * Stored events are notified here, after their commit, not by the transaction that stores them:
 * PostgreSQL serialises the commits of notifying transactions (to queue notifications in commit
 * order) and holds that lock through the commit's WAL flush, so notifying from every append made
 * the appends of all nodes commit one at a time. Tried: it saved a statement per message (nodes and
 * PostgreSQL used 25% less CPU at 750 messages/s) but two nodes then kept up with 500 messages/s
 * instead of 750. Here a batch of notifications commits without waiting for the disk.
 * Loss: notifications sent while the listening connection was down are gone, so after it comes
 * back the node is told of a gap (and catches up from the database).
 */
export class PostgresClusterBus implements ClusterBus {
  private listener: pg.Client | null = null;
  private handlers: Parameters<ClusterBus['subscribe']>[0] | null = null;
  private queue: Unnumbered[] = [];
  private flushing: Promise<void> | null = null;
  private receiving: Promise<void> = Promise.resolve();
  private reconnectTimer: TimerHandle | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private closed = false;
  private readonly order = new EnvelopeOrder();
  private lastStored: { ref: string; body: string } | null = null;
  /** By publishing node: the parts of a signal sent in parts that arrived so far. */
  private readonly partial = new Map<string, { n: number; parts: number; texts: string[] }>();
  /**
   * How this node's own payloads begin: the envelope and a spilled payload's reference both name
   * the node first. Its notifications come back on its listener too, and are dropped unread.
   */
  private readonly ownPrefix: string;

  constructor(private readonly options: PostgresClusterBusOptions) {
    this.ownPrefix = `${JSON.stringify({ node: options.nodeId }).slice(0, -1)},`;
  }

  subscribe(handlers: Parameters<ClusterBus['subscribe']>[0]): Promise<void> {
    this.handlers = handlers;
    return this.listen(false);
  }

  publish(signal: ClusterSignal): void {
    if (this.closed) return;
    const { nodeId, runtime } = this.options;
    this.queue.push({ node: nodeId, at: runtime.clock.now(), signal });
    this.flushing ??= this.flush();
  }

  async close(): Promise<void> {
    await this.flushing;
    this.closed = true;
    if (this.reconnectTimer) this.options.runtime.timers.clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.receiving;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.notifyAll(batch);
      } catch (error) {
        // The others miss these pushes, and find out from the numbers of the next ones (a gap: their
        // clients catch up), which a `lost` signal brings soon. Nothing stored is lost.
        this.options.logger.error('Could not notify the other nodes', error, { signals: batch.length });
        this.options.runtime.timers.setTimeout(() => this.publish({ kind: 'lost' }), LOST_SIGNAL_RETRY_MS);
      }
    }
    this.flushing = null;
  }

  private async notifyAll(batch: Unnumbered[]): Promise<void> {
    const payloads: string[] = [];
    for (const envelope of batch) payloads.push(...(await this.notificationsOf(envelope)));
    for (let start = 0; start < payloads.length; start += NOTIFICATIONS_PER_STATEMENT) {
      await this.notify(payloads.slice(start, start + NOTIFICATIONS_PER_STATEMENT));
    }
  }

  private async notify(payloads: readonly string[]): Promise<void> {
    const calls = payloads.map((_, i) => `pg_notify($1, $${i + 2})`).join(', ');
    // Through the pool, not on the listening connection. Sending from the listener was tried: its
    // query leaves at once, where a pool checkout waits a tick, and a cross-node delivery took
    // 0.3–1 ms less. But under sustained load PostgreSQL spent about a quarter more CPU a message
    // (1.43–1.50 ms against 1.17–1.20), and two nodes kept up with 500/s instead of 750/s.
    // NOTIFY gives its transaction an id, so its commit would wait for a disk flush; nothing here
    // needs to survive a crash (the events are committed already), so this one commit does not wait.
    await this.options.pool.query(`SELECT set_config('synchronous_commit', 'off', true), ${calls}`, [
      CLUSTER_CHANNEL,
      ...payloads,
    ]);
  }

  /** The notifications that carry one envelope, each numbered (EnvelopeOrder) in the order they go out. */
  private async notificationsOf(envelope: Unnumbered): Promise<string[]> {
    const runs = recipientRuns(envelope);
    if (runs !== null) return runs.map((run) => JSON.stringify({ ...run, n: this.order.next() }));
    const { signal } = envelope;
    if (storedNowhere(signal)) return inParts(envelope, this.order.next());
    const addressed = signal.kind === 'event' || signal.kind === 'frame';
    const ref = await this.spill(JSON.stringify(addressed ? { ...envelope, signal: { ...signal, userIds: [] } } : envelope));
    const reference = { node: envelope.node, ref, n: 0 };
    if (!addressed) return [JSON.stringify({ ...reference, n: this.order.next() })];
    return chunked(signal.userIds, Buffer.byteLength(JSON.stringify({ ...reference, userIds: [] }))).map((userIds) =>
      JSON.stringify({ ...reference, n: this.order.next(), userIds }),
    );
  }

  private async spill(text: string): Promise<string> {
    const now = this.options.runtime.clock.now();
    const { rows } = await this.options.pool.query<{ id: string }>(
      `WITH expired AS (DELETE FROM cluster_payloads WHERE created_at < $2)
       INSERT INTO cluster_payloads (body, created_at) VALUES ($1, $3) RETURNING id::text AS id`,
      [text, now - SPILL_KEEP_MS, now],
    );
    return rows[0]!.id;
  }

  private async listen(again: boolean): Promise<void> {
    const { url, logger, runtime } = this.options;
    const client = new pg.Client({ connectionString: url });
    client.on('error', (error) => logger.warn('The cluster listener failed', { error: error.message }));
    client.on('end', () => {
      if (this.listener !== client || this.closed) return;
      this.listener = null;
      this.retry();
    });
    client.on('notification', (message) => {
      if (message.channel !== CLUSTER_CHANNEL || message.payload === undefined) return;
      const payload = message.payload;
      if (payload.startsWith(this.ownPrefix)) return;
      this.receiving = this.receiving.then(() => this.deliver(payload));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      if (!again) throw error;
      logger.warn('Could not listen for the other nodes; trying again', { error: (error as Error).message });
      this.retry();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    if (again) {
      // Parts of a signal that began before the listener went down will never be whole.
      this.partial.clear();
      logger.info('Listening for the other nodes again', { at: runtime.clock.now() });
      this.handlers?.gap();
    }
  }

  private retry(): void {
    if (this.closed) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = this.options.runtime.timers.setTimeout(() => void this.listen(true), delay);
  }

  private async deliver(payload: string): Promise<void> {
    let json = parsedJson(payload);
    const part = partIn(json);
    if (part !== null) {
      const whole = this.joined(part);
      if (whole === null) return;
      json = parsedJson(whole);
    }
    const reference = referenceIn(json);
    let body = json;
    if (reference !== null) {
      try {
        body = parsedJson(await this.storedBody(reference.ref));
      } catch (error) {
        // Something the others published is lost to this node: its clients must catch up.
        this.options.logger.error('Could not read a cluster signal', error);
        this.handlers?.gap();
        return;
      }
    }
    const envelope = envelopeIn(body, reference);
    if (envelope === null) {
      // No node publishes such a thing: whoever wrote it on the channel costs the clients nothing.
      this.options.logger.warn('Dropped a malformed cluster signal', { bytes: Buffer.byteLength(payload) });
      return;
    }
    if (this.order.missedBefore(envelope)) {
      this.options.logger.error('Cluster signals of another node were lost', undefined, { node: envelope.node });
      this.handlers?.gap();
    }
    this.handlers?.signal(envelope);
  }

  /**
   * The text of a signal sent in parts once its last part is here (null before, or when a part is
   * out of turn: that signal is lost, and its number, never seen, tells of the gap with the next).
   */
  private joined(part: Part): string | null {
    if (part.part === 0) {
      // One run per node at most; only whoever writes on the channel under made-up node ids could
      // start more, and they are let go rather than kept.
      if (this.partial.size >= MAX_PARTIAL_NODES && !this.partial.has(part.node)) this.partial.clear();
      this.partial.set(part.node, { n: part.n, parts: part.parts, texts: [] });
    }
    const run = this.partial.get(part.node);
    if (!run || run.n !== part.n || run.parts !== part.parts || run.texts.length !== part.part) {
      this.partial.delete(part.node);
      this.options.logger.warn('Dropped a cluster signal whose parts did not arrive in turn', { node: part.node, n: part.n });
      return null;
    }
    run.texts.push(part.text);
    if (run.texts.length < run.parts) return null;
    this.partial.delete(part.node);
    return run.texts.join('');
  }

  /** A stored payload; the runs of recipients of one payload arrive one after another, so one read serves them all. */
  private async storedBody(ref: string): Promise<string> {
    if (this.lastStored?.ref === ref) return this.lastStored.body;
    const { rows } = await this.options.pool.query<{ body: string }>('SELECT body FROM cluster_payloads WHERE id = $1', [ref]);
    if (rows.length === 0) throw new Error(`cluster payload ${ref} is gone`);
    this.lastStored = { ref, body: rows[0]!.body };
    return this.lastStored.body;
  }
}

/** A notification that points to a stored payload: its number, and the run of its recipients it is for. */
const referenceSchema = z.object({
  node: z.string(),
  ref: z.string().regex(/^\d{1,19}$/),
  n: z.number().int().positive(),
  userIds: z.array(z.string()).optional(),
});
type Reference = z.infer<typeof referenceSchema>;

/** Only a notification with a `ref` is checked as a reference: most carry their envelope, and are checked as one. */
function referenceIn(json: unknown): Reference | null {
  if (typeof json !== 'object' || json === null || !('ref' in json)) return null;
  const reference = referenceSchema.safeParse(json);
  return reference.success ? reference.data : null;
}

/** One notification of a signal sent in parts (inParts). */
const partSchema = z.object({
  node: z.string().min(1).max(200),
  n: z.number().int().positive(),
  part: z.number().int().nonnegative(),
  parts: z.number().int().min(2).max(MAX_PARTS),
  text: z.string().max(MAX_PAYLOAD_BYTES),
});
type Part = z.infer<typeof partSchema>;

/** Only a notification with a `part` is checked as one. */
function partIn(json: unknown): Part | null {
  if (typeof json !== 'object' || json === null || !('part' in json)) return null;
  const part = partSchema.safeParse(json);
  return part.success && part.data.part < part.data.parts ? part.data : null;
}

/**
 * A signal too large for one notification as consecutive notifications of its text (numbered `n`),
 * each as large as fits: they go out in one statement, so they arrive one after another.
 */
function inParts(envelope: Unnumbered, n: number): string[] {
  const text = JSON.stringify({ ...envelope, n });
  const header = (part: number, parts: number) => ({ node: envelope.node, n, part, parts });
  const room = MAX_PAYLOAD_BYTES - Buffer.byteLength(JSON.stringify({ ...header(MAX_PARTS, MAX_PARTS), text: '' }));
  const texts: string[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + room);
    // Escapes can make a slice longer on the wire than in characters: shorten it until it fits.
    while (end - start > 1 && Buffer.byteLength(JSON.stringify(text.slice(start, end))) - 2 > room) {
      end = start + Math.floor((end - start) * 0.9);
    }
    texts.push(text.slice(start, end));
    start = end;
  }
  if (texts.length > MAX_PARTS)
    throw new Error(`A signal stored nowhere needs ${texts.length} notifications, more than ${MAX_PARTS}`);
  if (texts.length === 1) return [text];
  return texts.map((slice, part) => JSON.stringify({ ...header(part, texts.length), text: slice }));
}

/** The envelope a notification carries, or the stored one it points to as this notification addresses it. */
function envelopeIn(json: unknown, reference: Reference | null): ClusterEnvelope | null {
  if (reference === null || typeof json !== 'object' || json === null) return checked(json);
  const stored = json as { signal?: unknown };
  const signal = typeof stored.signal === 'object' && stored.signal !== null ? stored.signal : {};
  return checked({
    ...stored,
    n: reference.n,
    signal: reference.userIds === undefined ? signal : { ...signal, userIds: reference.userIds },
  });
}

function checked(json: unknown): ClusterEnvelope | null {
  const envelope = clusterEnvelopeSchema.safeParse(json);
  return envelope.success ? envelope.data : null;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Unnumbered = Omit<ClusterEnvelope, 'n'>;

/**
 * The envelope as notifications small enough to send (without their numbers): itself, or one per
 * run of its recipients; null when it must be stored (too large even for one recipient).
 */
function recipientRuns(envelope: Unnumbered): Unnumbered[] | null {
  if (fits(envelope)) return [envelope];
  const { signal } = envelope;
  // An event that does not fit with all its recipients goes without it: each node reads it back.
  if (signal.kind === 'event' && signal.event) return recipientRuns({ ...envelope, signal: withoutEvent(signal) });
  if (signal.kind !== 'event' && signal.kind !== 'frame') return null;
  const bare = { ...envelope, signal: { ...signal, userIds: [] } };
  if (!fits(bare)) return null;
  return chunked(signal.userIds, Buffer.byteLength(JSON.stringify(bare))).map((userIds) => ({
    ...envelope,
    signal: { ...signal, userIds },
  }));
}

function withoutEvent(signal: Extract<ClusterSignal, { kind: 'event' }>): Extract<ClusterSignal, { kind: 'event' }> {
  const { event: _carried, ...reference } = signal;
  return reference;
}

/** Room for the number a notification gets when it is sent. */
const NUMBER_ROOM = ',"n":9007199254740991'.length;

function fits(envelope: Unnumbered): boolean {
  return Buffer.byteLength(JSON.stringify(envelope)) + NUMBER_ROOM <= MAX_PAYLOAD_BYTES;
}

/** Recipients in runs that fit beside `bareBytes` of the rest of a notification. */
function chunked(userIds: string[], bareBytes: number): string[][] {
  const longestId = Math.max(0, ...userIds.map((userId) => Buffer.byteLength(JSON.stringify(userId)) + 1));
  const perRun = Math.max(1, Math.floor((MAX_PAYLOAD_BYTES - NUMBER_ROOM - bareBytes) / Math.max(1, longestId)));
  const runs: string[][] = [];
  for (let i = 0; i < userIds.length; i += perRun) runs.push(userIds.slice(i, i + perRun));
  return runs.length > 0 ? runs : [[]];
}
