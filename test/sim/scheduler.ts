import type { Runtime, TimerHandle } from '../../sync/common/runtime.js';
import type { SeededRandom } from './random.js';

/**
 * Virtual time for the whole simulation. Every timer of every node (client cores, the server)
 * and every frame the network carries is a task in ONE queue ordered by due time, ties broken by
 * insertion order, so a run is a pure function of its seed and steps. Nothing here touches real
 * time: between tasks we only let already-queued promise continuations run.
 */

/** A node's life: when it crashes, its timers die with it and it cannot start new ones. */
export interface Lifetime {
  readonly name: string;
  alive: boolean;
}

interface Task {
  at: number;
  owner: Lifetime | null;
  run: () => void;
  cancelled: boolean;
}

export const SIM_EPOCH_MS = 1_700_000_000_000;

export class Scheduler {
  private nowMs = SIM_EPOCH_MS;
  private queue: Task[] = [];

  get now(): number {
    return this.nowMs;
  }

  /** Runs `run` after `delayMs` of virtual time, unless `owner` has died by then. */
  schedule(delayMs: number, run: () => void, owner: Lifetime | null = null): Task {
    const task: Task = { at: this.nowMs + Math.max(0, delayMs), owner, run, cancelled: false };
    // Binary search for the first task due strictly later (equal times keep insertion order).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = this.queue[mid]!;
      if (other.at <= task.at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, task);
    return task;
  }

  cancel(task: Task): void {
    task.cancelled = true;
  }

  /** Kills a node: its pending timers never fire. */
  kill(owner: Lifetime): void {
    owner.alive = false;
    this.queue = this.queue.filter((task) => task.owner !== owner);
  }

  /** A Runtime whose clock is virtual, whose timers go into the shared queue, whose dice are seeded. */
  runtimeFor(owner: Lifetime, random: SeededRandom): Runtime {
    return {
      clock: { now: () => this.nowMs },
      timers: {
        setTimeout: (callback, delayMs) => {
          const task = this.schedule(delayMs, callback, owner);
          // A dead node's code may still run a continuation that was already queued; its new
          // timers are inert, like those of a process that is gone.
          if (!owner.alive) task.cancelled = true;
          return task as unknown as TimerHandle;
        },
        clearTimeout: (handle) => this.cancel(handle as unknown as Task),
      },
      random,
    };
  }

  /**
   * Advances virtual time by `ms`, running every task that falls due on the way, in order, and
   * letting promise continuations settle after each one. Ends with the clock at now + ms.
   */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    await settleMicrotasks();
    for (;;) {
      const task = this.queue[0];
      if (!task || task.at > until) break;
      this.queue.shift();
      if (task.cancelled || (task.owner !== null && !task.owner.alive)) continue;
      this.nowMs = Math.max(this.nowMs, task.at);
      task.run();
      await settleMicrotasks();
    }
    this.nowMs = until;
  }
}

/**
 * Lets every promise continuation that is already queued (and those they queue) run. SQLite is
 * synchronous and the network is this queue, so a macrotask turn or two drains them, but files
 * are real I/O (the attachment store reads and writes them): virtual time waits for each file
 * request in flight to be answered, or when it is answered would decide what happens first.
 */
export async function settleMicrotasks(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
  while (fileRequestsInFlight()) await new Promise<void>((resolve) => setImmediate(resolve));
}

function fileRequestsInFlight(): boolean {
  return process.getActiveResourcesInfo().some((resource) => resource.startsWith('FSReq'));
}
