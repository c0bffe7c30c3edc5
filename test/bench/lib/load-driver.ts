/**
 * The sustained benchmark's side of lib/load-holder.ts: starting holders, driving them over IPC,
 * and joining what they noted into the figures: send → push latency of every message, and whether
 * each acknowledged message's push reached its recipient exactly once.
 */
import { join } from 'node:path';
import type { LoadHolderCommand, LoadHolderReply, LoadSocket, PushRecord, ReceiptCounts, SendRecord } from './load-holder.js';
import { cpuMsOf, spawnTs } from './proc.js';
import { sleep } from './stats.js';

export interface LoadHolder {
  pid: number;
  count: number;
  openMs: number;
  cpuMs(): number | null;
  settle(quietMs?: number): Promise<{ frames: number; ms: number }>;
  run(perSecond: number, durationMs: number): Promise<{ sent: number; ms: number; maxLagMs: number }>;
  progress(): Promise<{ replied: number; pushes: number }>;
  collect(): Promise<Extract<LoadHolderReply, { type: 'collected' }>>;
  stop(): Promise<void>;
}

/** Starts a holder and opens its sockets, `concurrency` handshakes at a time. */
export async function startLoadHolder(bench: string, sockets: LoadSocket[], concurrency: number): Promise<LoadHolder> {
  const holder = spawnTs(join('test', 'bench', 'lib', 'load-holder.ts'), [], { ipc: true });
  const waiting = new Map<string, { resolve(reply: LoadHolderReply): void; reject(error: Error): void }>();
  const failAll = (error: Error) => {
    for (const waiter of waiting.values()) waiter.reject(error);
    waiting.clear();
  };
  holder.child.on('message', (reply: LoadHolderReply) => {
    if (reply.type === 'failed') return failAll(new Error(`[${bench}] load holder: ${reply.error}`));
    const waiter = waiting.get(reply.type);
    waiting.delete(reply.type);
    waiter?.resolve(reply);
  });
  let stopping = false;
  void holder.exited.then((code) => {
    if (!stopping) failAll(new Error(`[${bench}] load holder exited (${code}): ${holder.output().slice(-3000)}`));
  });
  /** Sends a command and waits for the reply of type `answer` (one command of a kind at a time). */
  const ask = <T extends LoadHolderReply['type']>(command: LoadHolderCommand, answer: T, timeoutMs: number) =>
    new Promise<Extract<LoadHolderReply, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(answer);
        reject(new Error(`[${bench}] load holder: no ${answer} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(answer, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as Extract<LoadHolderReply, { type: T }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      holder.child.send(command);
    });
  const ready = await ask({ type: 'open', sockets, concurrency }, 'ready', 10 * 60_000);
  return {
    pid: holder.pid,
    count: ready.count,
    openMs: ready.ms,
    cpuMs: () => cpuMsOf(holder.pid),
    settle: async (quietMs = 1_000) => {
      const { frames, ms } = await ask({ type: 'settle', quietMs }, 'settled', 10 * 60_000);
      return { frames, ms };
    },
    run: async (perSecond, durationMs) => {
      const { sent, ms, maxLagMs } = await ask({ type: 'run', perSecond, durationMs }, 'ran', durationMs + 10 * 60_000);
      return { sent, ms, maxLagMs };
    },
    progress: async () => {
      const { replied, pushes } = await ask({ type: 'progress' }, 'progress', 60_000);
      return { replied, pushes };
    },
    collect: () => ask({ type: 'collect' }, 'collected', 5 * 60_000),
    stop: async () => {
      stopping = true;
      if (holder.child.connected) holder.child.send({ type: 'stop' } satisfies LoadHolderCommand);
      await Promise.race([holder.exited, sleep(5_000)]);
    },
  };
}

export interface LoadOutcome {
  sent: number;
  /** Answered `sent`: stored, so their pushes are owed. */
  acknowledged: number;
  /** Answered otherwise, by reply type or error code. */
  refused: Record<string, number>;
  /** No answer by the end. */
  unanswered: number;
  /** Acknowledged messages whose push never reached the recipient. */
  lost: number;
  /** Acknowledged messages whose push reached the recipient more than once. */
  duplicated: number;
  /** Pushes that reached someone other than the recipient, or of no message sent. */
  stray: number;
  /** Send (frame written) → push at the recipient, ms, of every message whose push arrived. */
  latencies: number[];
  /** Send → `sent` reply at the sender, ms. */
  replyLatencies: number[];
  closes: Record<string, number>;
  /** The recipients' delivery receipts, by answer (`ok`, or the error's code). */
  receipts: ReceiptCounts;
}

/** Joins every holder's sends and pushes by message id. */
export function joinLoad(
  collected: Array<{ sends: SendRecord[]; pushes: PushRecord[]; closes: Record<string, number>; receipts: ReceiptCounts }>,
): LoadOutcome {
  const sends = new Map<string, SendRecord>();
  for (const part of collected) for (const record of part.sends) sends.set(record[0], record);
  const arrivals = new Map<string, bigint[]>();
  let stray = 0;
  for (const part of collected) {
    for (const [id, user, at] of part.pushes) {
      const sent = sends.get(id);
      if (!sent || sent[2] !== user) {
        stray += 1;
        continue;
      }
      const list = arrivals.get(id) ?? [];
      list.push(BigInt(at));
      arrivals.set(id, list);
    }
  }
  const outcome: LoadOutcome = {
    sent: sends.size,
    acknowledged: 0,
    refused: {},
    unanswered: 0,
    lost: 0,
    duplicated: 0,
    stray,
    latencies: [],
    replyLatencies: [],
    closes: {},
    receipts: {},
  };
  for (const [id, , , at, replyAt, answer] of sends.values()) {
    const sentAt = BigInt(at);
    const got = arrivals.get(id) ?? [];
    if (got.length > 0) outcome.latencies.push(Number(got.reduce((a, b) => (b < a ? b : a)) - sentAt) / 1e6);
    if (answer === null) {
      outcome.unanswered += 1;
      continue;
    }
    if (answer !== 'sent') {
      outcome.refused[answer] = (outcome.refused[answer] ?? 0) + 1;
      continue;
    }
    outcome.acknowledged += 1;
    if (replyAt !== null) outcome.replyLatencies.push(Number(BigInt(replyAt) - sentAt) / 1e6);
    if (got.length === 0) outcome.lost += 1;
    if (got.length > 1) outcome.duplicated += 1;
  }
  for (const part of collected) {
    addCounts(outcome.closes, part.closes);
    addCounts(outcome.receipts, part.receipts);
  }
  return outcome;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}
