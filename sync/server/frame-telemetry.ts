import { performance } from 'node:perf_hooks';
import type { ClientFrame, ServerFrame } from '../protocol/frames.js';
import type { SerialisedPart } from './handlers/catch-up-parts.js';
import type { ServerLogger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

/**
 * Logs and metrics for one connection's frames. Lines carry the connection id (`conn`) and the
 * frame's `rid`, never its content. Handled frames log at debug only (the hot path); refusals at
 * info, failures at error.
 */
export class FrameTelemetry {
  constructor(
    private readonly metrics: ServerMetrics,
    private readonly logger: ServerLogger,
    private readonly conn: string,
    private readonly userId: string,
  ) {}

  /** A timestamp for `answered`, taken when the frame arrives. */
  static now(): number {
    return performance.now();
  }

  opened(): void {
    this.metrics.connectionsOpen.inc();
    this.logger.debug('Connection opened', { conn: this.conn, user: this.userId });
  }

  closed(): void {
    this.metrics.connectionsOpen.dec();
    this.logger.debug('Connection closed', { conn: this.conn, user: this.userId });
  }

  /** A frame that is not binary-free JSON of a known shape. */
  malformed(rid: string | undefined, why: 'binary' | 'json' | 'schema'): void {
    this.metrics.frames.inc({ type: 'bad_frame' });
    this.logger.info('Refused a malformed frame', { conn: this.conn, rid, why });
  }

  received(frame: ClientFrame): void {
    this.metrics.frames.inc({ type: frame.type });
  }

  /** `parts`: the frames of the reply written before it (a catch-up page's parts). */
  answered(frame: ClientFrame, reply: ServerFrame, arrivedAt: number, parts: readonly SerialisedPart[] = []): void {
    const seconds = (performance.now() - arrivedAt) / 1000;
    if (reply.type === 'sent') this.metrics.sendLatency.observe({ type: frame.type }, seconds);
    if (reply.type === 'events') {
      this.metrics.catchUpPages.inc();
      this.metrics.catchUpEvents.inc(parts.reduce((sum, part) => sum + part.events, reply.events.length));
    }
    if (reply.type === 'error') {
      this.logger.info('Refused a frame', {
        conn: this.conn,
        rid: frame.rid,
        type: frame.type,
        code: reply.code,
        reason: reply.reason,
      });
    } else {
      this.logger.debug('Handled a frame', { conn: this.conn, rid: frame.rid, type: frame.type, ms: seconds * 1000 });
    }
  }

  failed(frame: ClientFrame, error: unknown): void {
    this.logger.error(`Handling ${frame.type} failed`, error, {
      conn: this.conn,
      rid: frame.rid,
      type: frame.type,
      user: this.userId,
    });
  }
}
