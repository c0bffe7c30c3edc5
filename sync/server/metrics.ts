import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClientFrameType } from '../protocol/frames.js';

/** Every label value the frames counter can take: the protocol's frame types, and one for the rest. */
const FRAME_TYPES: Record<ClientFrameType, true> = {
  group_change: true,
  create_conversation: true,
  find_user: true,
  typing: true,
  catch_up: true,
  list_conversations: true,
  start_conversation: true,
  receipt: true,
  set_settings: true,
  list_settings: true,
  ping: true,
  publish_keys: true,
  fetch_key_bundles: true,
  count_keys: true,
  fetch_identity: true,
  send_to_devices: true,
  fetch_inbox: true,
  ack_inbox: true,
  send_envelope: true,
  fetch_conversation_devices: true,
  describe_own_device: true,
  link_device: true,
  put_key_backup: true,
  fetch_key_backup: true,
  fetch_turn_credentials: true,
  send_ephemeral: true,
};
export type FrameLabel = ClientFrameType | 'bad_frame';
export const FRAME_LABELS = [...(Object.keys(FRAME_TYPES) as ClientFrameType[]), 'bad_frame'] as const;

/**
 * The server's Prometheus metrics, in a registry of their own: two servers in one process (tests)
 * never share or collide. Labels take values from fixed sets only (frame types, route names,
 * status codes), so the number of series stays bounded whatever clients send.
 * Database pool waits and append runs are observed by a store with a pool (PostgreSQL); fan-out delay by a node in a cluster.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly connectionsOpen: Gauge;
  readonly frames: Counter<'type'>;
  readonly sendLatency: Histogram<'type'>;
  readonly catchUpPages: Counter;
  readonly catchUpEvents: Counter;
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly dbPoolWait: Histogram;
  readonly dbEnvelopeRun: Histogram;
  readonly dbReceiptRun: Histogram;
  readonly clusterFanoutDelay: Histogram;
  readonly slowReadersCut: Counter<'reason'>;
  readonly framesRateLimited: Counter;
  /** Where `sync_output_buffered_bytes` reads its value from at each scrape (the server's connections). */
  measureOutputBuffered(measure: () => number): void;
}

export function createServerMetrics(options: { processMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const frames = new Counter({
    name: 'sync_frames_received_total',
    help: 'Client frames received on sync sockets, by frame type (bad_frame: not JSON or not a known frame).',
    labelNames: ['type'] as const,
    registers,
  });
  for (const type of FRAME_LABELS) frames.inc({ type }, 0);
  let outputBuffered: () => number = () => 0;
  new Gauge({
    name: 'sync_output_buffered_bytes',
    help: 'Bytes written to sync sockets that their peers have not read yet, over all connections.',
    registers,
    collect() {
      this.set(outputBuffered());
    },
  });
  const slowReadersCut = new Counter({
    name: 'sync_slow_readers_cut_total',
    help: 'Connections closed because their peer read too slowly (over_limit: far behind at once; stuck: behind for too long).',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of ['over_limit', 'stuck'] as const) slowReadersCut.inc({ reason }, 0);
  return {
    registry,
    connectionsOpen: new Gauge({ name: 'sync_connections_open', help: 'Authenticated sync sockets open now.', registers }),
    frames,
    sendLatency: new Histogram({
      name: 'sync_send_latency_seconds',
      help: "From a frame's arrival to its 'sent' reply (stored and acknowledged), by frame type.",
      labelNames: ['type'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    catchUpPages: new Counter({ name: 'sync_catch_up_pages_total', help: 'Catch-up pages served.', registers }),
    catchUpEvents: new Counter({ name: 'sync_catch_up_events_total', help: 'Events served in catch-up pages.', registers }),
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'Plain HTTP requests answered, by route (a fixed name, never the raw path) and status.',
      labelNames: ['route', 'status'] as const,
      registers,
    }),
    dbPoolWait: new Histogram({
      name: 'sync_db_pool_wait_seconds',
      help: 'How long a query waited for a free database connection (PostgreSQL store).',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    dbEnvelopeRun: new Histogram({
      name: 'sync_db_envelopes_per_run',
      help: 'Envelopes stored together by one append run (PostgreSQL store: 1 alone, more when envelopes waited for the run before).',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    }),
    dbReceiptRun: new Histogram({
      name: 'sync_db_receipts_per_run',
      help: 'Receipts raised together by one watermark run (PostgreSQL store: 1 alone, more when receipts waited for the run before).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    }),
    clusterFanoutDelay: new Histogram({
      name: 'sync_cluster_fanout_delay_seconds',
      help: 'From a node publishing a push to another node receiving it (clocks of both nodes).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    slowReadersCut,
    framesRateLimited: new Counter({
      name: 'sync_frames_rate_limited_total',
      help: 'Client frames refused unhandled (rate_limited) because their connection was over its frame budget.',
      registers,
    }),
    measureOutputBuffered(measure) {
      outputBuffered = measure;
    },
  };
}
