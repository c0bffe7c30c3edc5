/**
 * A live location's moves leave this device at most every 15 s (issue 33): the renderer reports
 * each fix as it comes; this holds the newest per location and sends it when 15 s have passed
 * since the last one went (the message itself counts as the first), then waits again. Clock and
 * timers are injected so tests drive them.
 */
import { LIVE_MOVE_INTERVAL_MS } from '../common/locations.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';

export interface LivePoint {
  lat: number;
  lon: number;
}

export interface LiveLocationDeps {
  runtime: Pick<Runtime, 'clock' | 'timers'>;
  /** Queues the move; throws when the location takes none any more (stopped, over, deleted). */
  send(conversationId: string, messageId: string, point: LivePoint, at: number): void;
  /** A queued move could not be sent (its refusal): logged, and the location is no longer tracked. */
  failed(error: unknown): void;
}

interface Tracked {
  conversationId: string;
  /** When the last move (or the message) went. */
  lastSentAt: number;
  /** The newest fix not sent yet. */
  waiting: LivePoint | null;
  timer: TimerHandle | null;
}

export class LiveLocationTimer {
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly deps: LiveLocationDeps) {}

  /** A live location this device just sent: its first point went with the message. */
  started(conversationId: string, messageId: string): void {
    this.tracked.set(messageId, { conversationId, lastSentAt: this.deps.runtime.clock.now(), waiting: null, timer: null });
  }

  /** The newest fix for a live location of this person's: sent now if 15 s have passed, else when they have. */
  report(conversationId: string, messageId: string, point: LivePoint): void {
    const tracked = this.tracked.get(messageId) ?? { conversationId, lastSentAt: -Infinity, waiting: null, timer: null };
    this.tracked.set(messageId, tracked);
    tracked.waiting = point;
    if (tracked.timer !== null) return;
    const wait = tracked.lastSentAt + LIVE_MOVE_INTERVAL_MS - this.deps.runtime.clock.now();
    if (wait <= 0) this.flush(messageId);
    else tracked.timer = this.deps.runtime.timers.setTimeout(() => this.flush(messageId), wait);
  }

  /** Stopped, over or gone: nothing more is sent for it. */
  forget(messageId: string): void {
    const tracked = this.tracked.get(messageId);
    if (tracked?.timer) this.deps.runtime.timers.clearTimeout(tracked.timer);
    this.tracked.delete(messageId);
  }

  stopAll(): void {
    for (const messageId of [...this.tracked.keys()]) this.forget(messageId);
  }

  private flush(messageId: string): void {
    const tracked = this.tracked.get(messageId);
    if (!tracked?.waiting) return;
    tracked.timer = null;
    const now = this.deps.runtime.clock.now();
    try {
      this.deps.send(tracked.conversationId, messageId, tracked.waiting, now);
      tracked.lastSentAt = now;
      tracked.waiting = null;
    } catch (error) {
      this.forget(messageId);
      this.deps.failed(error);
    }
  }
}
