/**
 * The first-message benchmark's crypto devices, spread over a few child processes
 * (lib/device-holder.ts), driven as one: each account's devices stay together in one process (they
 * share its identity), and the accounts are split in member order into processes of about the same
 * number of devices. What each process answers is merged: how many devices or sockets had a
 * message, and the first and last of them (process.hrtime, shared by processes on Linux).
 */
import { join } from 'node:path';
import type { HeldAccount, HolderCommand, HolderReply, HolderStages } from './device-holder.js';
import { spawnTs } from './proc.js';
import { sleep } from './stats.js';

export interface Arrival {
  n: number;
  first: bigint;
  last: bigint;
}

/** A sealed message in every device's hands, and when its push reached the first and the last of them. */
export interface Opened extends Arrival {
  pushes: { first: bigint; last: bigint };
}

/** HolderStages summed over the processes, with times as bigint (null: nothing of the kind happened). */
export interface DeviceStages {
  inboxEnvelopes: number;
  inboxFirst: bigint | null;
  inboxLast: bigint | null;
  inboxDecryptCpuMs: number;
  keys: number;
  keysCpuMs: number;
  keyLast: bigint | null;
  envelopes: number;
  envelopeFirst: bigint | null;
  envelopeLast: bigint | null;
  groupDecryptCpuMs: number;
  waitedForKey: number;
  otherPushes: Record<string, number>;
  /** Each process's CPU over the window. */
  cpuMs: number[];
}

export interface CryptoDevices {
  /** Devices opened, each with its keys published. */
  count: number;
  /** How long opening them (keys made and published) took. */
  openMs: number;
  devices: Array<{ userId: string; deviceNumber: number }>;
  /** Resolves once no frame reached any device for `quietMs`. */
  settle(quietMs?: number): Promise<{ frames: number; ms: number }>;
  /** Resolves once every device holds envelope `id` opened to `text`. */
  opened(id: string, text: string, timeoutMs?: number): Promise<Opened>;
  /** Resolves once every device's socket had the push of raw envelope `id`. */
  arrived(id: string, timeoutMs?: number): Promise<Arrival>;
  /** What the devices did since the last call. */
  stages(): Promise<DeviceStages>;
  /** Throws unless every inbox reads back empty and nothing waits for a key. */
  check(): Promise<void>;
  stop(): Promise<void>;
}

export async function startCryptoDevices(
  bench: string,
  serverUrl: string,
  accounts: HeldAccount[],
  options: { processes: number; rawSenders: string[]; oneTimePrekeys: number },
): Promise<CryptoDevices> {
  const holders = splitAccounts(accounts, options.processes).map((part) => startHolder(bench, part));
  const readies = await Promise.all(
    holders.map((holder) =>
      holder.ask(
        {
          type: 'open',
          serverUrl,
          accounts: holder.accounts,
          rawSenders: options.rawSenders,
          oneTimePrekeys: options.oneTimePrekeys,
        },
        'ready',
        10 * 60_000,
      ),
    ),
  );
  const devices = readies.flatMap((ready) => (ready.type === 'ready' ? ready.devices : []));
  const allArrived = async (answers: Promise<HolderReply>[]): Promise<Arrival> =>
    merge(
      (await Promise.all(answers)).map((answer) => {
        if (answer.type !== 'arrived') throw new Error(`Unexpected ${answer.type}`);
        return { n: answer.n, first: BigInt(answer.first), last: BigInt(answer.last) };
      }),
    );
  const allOpened = async (answers: Promise<HolderReply>[]): Promise<Opened> => {
    const replies = (await Promise.all(answers)).map((answer) => {
      if (answer.type !== 'opened') throw new Error(`Unexpected ${answer.type}`);
      return answer;
    });
    const texts = merge(replies.map((answer) => ({ n: answer.n, first: BigInt(answer.first), last: BigInt(answer.last) })));
    const pushes = merge(
      replies.map((answer) => ({ n: answer.n, first: BigInt(answer.pushFirst), last: BigInt(answer.pushLast) })),
    );
    return { ...texts, pushes: { first: pushes.first, last: pushes.last } };
  };
  return {
    count: devices.length,
    openMs: Math.max(...readies.map((ready) => (ready.type === 'ready' ? ready.ms : 0))),
    devices,
    settle: async (quietMs = 500) => {
      const settled = await Promise.all(holders.map((holder) => holder.ask({ type: 'settle', quietMs }, 'settled')));
      return {
        frames: settled.reduce((sum, answer) => sum + (answer.type === 'settled' ? answer.frames : 0), 0),
        ms: Math.max(...settled.map((answer) => (answer.type === 'settled' ? answer.ms : 0))),
      };
    },
    opened: (id, text, timeoutMs = 15_000) =>
      allOpened(
        holders.map((holder) => holder.ask({ type: 'expect', id, text, count: holder.devices }, `opened ${id}`, timeoutMs)),
      ),
    arrived: (id, timeoutMs = 15_000) =>
      allArrived(
        holders.map((holder) => holder.ask({ type: 'expectRaw', id, count: holder.devices }, `arrived ${id}`, timeoutMs)),
      ),
    stages: async () => mergeStages(await Promise.all(holders.map((holder) => holder.ask({ type: 'stages' }, 'stages')))),
    check: async () => {
      await Promise.all(holders.map((holder) => holder.ask({ type: 'check' }, 'checked', 60_000)));
    },
    stop: async () => {
      await Promise.all(holders.map((holder) => holder.stop()));
    },
  };
}

/** Arrivals in several processes as one: how many, the first and the last. */
function merge(arrivals: Arrival[]): Arrival {
  return {
    n: arrivals.reduce((sum, arrival) => sum + arrival.n, 0),
    first: arrivals.reduce((min, arrival) => (arrival.first < min ? arrival.first : min), arrivals[0]!.first),
    last: arrivals.reduce((max, arrival) => (arrival.last > max ? arrival.last : max), arrivals[0]!.last),
  };
}

/** Contiguous runs of accounts, about the same number of devices each. */
function splitAccounts(accounts: HeldAccount[], processes: number): HeldAccount[][] {
  const total = accounts.reduce((sum, account) => sum + account.tokens.length, 0);
  const parts: HeldAccount[][] = [[]];
  let inPart = 0;
  for (const account of accounts) {
    if (inPart >= total / processes && parts.length < processes) {
      parts.push([]);
      inPart = 0;
    }
    parts.at(-1)!.push(account);
    inPart += account.tokens.length;
  }
  return parts;
}

interface Holder {
  accounts: HeldAccount[];
  devices: number;
  /** Sends a command and resolves with the reply keyed `key` ("opened <id>": the one about that id). */
  ask(command: HolderCommand, key: string, timeoutMs?: number): Promise<HolderReply>;
  stop(): Promise<void>;
}

function startHolder(bench: string, accounts: HeldAccount[]): Holder {
  const spawned = spawnTs(join('test', 'bench', 'lib', 'device-holder.ts'), [], { ipc: true });
  const waiters = new Map<string, { resolve(reply: HolderReply): void; reject(error: Error): void }>();
  /** The first failure, kept: one while nothing was asked fails whatever is asked next. */
  let failure: Error | null = null;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of waiters.values()) waiter.reject(error);
    waiters.clear();
  };
  spawned.child.on('message', (reply: HolderReply) => {
    if (reply.type === 'failed') {
      failAll(new Error(`[${bench}] device holder: ${reply.error}`));
      return;
    }
    const key = reply.type === 'opened' || reply.type === 'arrived' ? `${reply.type} ${reply.id}` : reply.type;
    const waiter = waiters.get(key);
    waiters.delete(key);
    waiter?.resolve(reply);
  });
  let stopping = false;
  void spawned.exited.then((code) => {
    if (!stopping) failAll(new Error(`[${bench}] device holder exited (${code}): ${spawned.output().slice(-3000)}`));
  });
  return {
    accounts,
    devices: accounts.reduce((sum, account) => sum + account.tokens.length, 0),
    ask: (command, key, timeoutMs = 15_000) =>
      new Promise<HolderReply>((resolve, reject) => {
        if (failure) {
          reject(failure);
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(key);
          reject(new Error(`[${bench}] device holder: no ${key} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(key, {
          resolve: (reply) => {
            clearTimeout(timer);
            resolve(reply);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        spawned.child.send(command);
      }),
    stop: async () => {
      stopping = true;
      if (spawned.child.connected) spawned.child.send({ type: 'stop' } satisfies HolderCommand);
      await Promise.race([spawned.exited, sleep(3_000)]);
    },
  };
}

function mergeStages(answers: HolderReply[]): DeviceStages {
  const all = answers.map((answer) => {
    if (answer.type !== 'stages') throw new Error(`Unexpected ${answer.type}`);
    return answer.stages;
  });
  const sum = (pick: (stages: HolderStages) => number) => all.reduce((total, stages) => total + pick(stages), 0);
  const stamps = (pick: (stages: HolderStages) => string) =>
    all
      .map(pick)
      .filter((stamp) => stamp !== '')
      .map(BigInt);
  const min = (pick: (stages: HolderStages) => string) =>
    stamps(pick).reduce<bigint | null>((m, at) => (m === null || at < m ? at : m), null);
  const max = (pick: (stages: HolderStages) => string) =>
    stamps(pick).reduce<bigint | null>((m, at) => (m === null || at > m ? at : m), null);
  return {
    inboxEnvelopes: sum((s) => s.inboxEnvelopes),
    inboxFirst: min((s) => s.inboxFirst),
    inboxLast: max((s) => s.inboxLast),
    inboxDecryptCpuMs: sum((s) => s.inboxDecryptCpuMs),
    keys: sum((s) => s.keys),
    keysCpuMs: sum((s) => s.keysCpuMs),
    keyLast: max((s) => s.keyLast),
    envelopes: sum((s) => s.envelopes),
    envelopeFirst: min((s) => s.envelopeFirst),
    envelopeLast: max((s) => s.envelopeLast),
    groupDecryptCpuMs: sum((s) => s.groupDecryptCpuMs),
    waitedForKey: sum((s) => s.waitedForKey),
    otherPushes: all.reduce<Record<string, number>>((counts, stages) => {
      for (const [type, count] of Object.entries(stages.otherPushes)) counts[type] = (counts[type] ?? 0) + count;
      return counts;
    }, {}),
    cpuMs: all.map((stages) => stages.cpuMs),
  };
}
