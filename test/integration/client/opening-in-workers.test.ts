/**
 * Opening runs of envelopes in worker threads (crypto/run-applier.ts, opening-in-workers.ts,
 * opening-pool.ts) with real libsignal, real worker threads and real mirrors: a run opened in the
 * workers leaves the mirror as opening it on this thread does, whatever the run holds; a worker
 * that dies, a write that fails and a record that moved meanwhile burn no key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerOptions } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { ProtocolAddress, SenderKeyRecord, SenderKeyStore } from '@signalapp/libsignal-client';
import { afterEach, describe, expect, it } from 'vitest';
import { OpeningPool, OpeningWorkerStopped } from '../../../sync/client/crypto/opening-pool.js';
import { RatchetState } from '../../../sync/client/crypto/ratchet-state.js';
import { RunApplier, type WorkerOpeningOptions } from '../../../sync/client/crypto/run-applier.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { CryptoLane, type ThisDevice } from '../../../sync/client/crypto/this-device.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { SILENT_LOGGER, type LogFields, type Logger } from '../../../sync/common/logger.js';
import { openEnvelopes } from '../../../sync/client/crypto/envelope-opener.js';
import { encodeContent, type Content } from '../../../sync/content/content.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';

const signal = await loadSignal();
const SELF = 'reader';
const GROUP = 'group-1';
const WRITERS = ['alice', 'bob', 'carol'];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Writers that seal under their sender keys for the group, and hand the keys to any reader. */
async function groupWriters() {
  const store = new MemorySenderKeys();
  const handOuts = new Map<string, { distributionId: string; bytes: Uint8Array<ArrayBuffer> }>();
  for (const [at, userId] of WRITERS.entries()) {
    const distributionId = `00000000-0000-4000-8000-00000000000${at}`;
    const handOut = await signal.SenderKeyDistributionMessage.create(address(userId), distributionId, store);
    handOuts.set(userId, { distributionId, bytes: handOut.serialize() });
  }
  let seq = 0;
  return {
    /** The next envelope of the group, sealed by `userId` (sealed now, shown at `seq`). */
    async seal(userId: string, content: Content): Promise<EnvelopeEvent> {
      const { distributionId } = handOuts.get(userId)!;
      const sealed = await signal.groupEncrypt(address(userId), distributionId, store, encodeContent(content));
      seq += 1;
      return envelope(seq, userId, Buffer.from(sealed.serialize()).toString('base64'));
    },
    /** Gives `reader` the keys of these writers. */
    async handTo(reader: Reader, userIds: readonly string[] = WRITERS): Promise<void> {
      const ratchet = reader.device.ratchet();
      for (const userId of userIds) {
        const message = signal.SenderKeyDistributionMessage.deserialize(handOuts.get(userId)!.bytes);
        await signal.processSenderKeyDistributionMessage(address(userId), message, ratchet);
      }
      reader.mirror.transaction(() => ratchet.writeTo(reader.mirror.signal));
    },
    distributionId: (userId: string) => handOuts.get(userId)!.distributionId,
  };
}

function envelope(seq: number, userId: string, ciphertext: string): EnvelopeEvent {
  return {
    kind: 'envelope',
    conversationId: GROUP,
    seq,
    senderId: userId,
    senderDevice: 1,
    clientId: `c-${seq}`,
    ciphertext,
    attachments: [],
    deleted: false,
    sentAt: 1_000 + seq,
  };
}

const address = (userId: string) => signal.ProtocolAddress.new(userId, 1);

interface Reader {
  mirror: Mirror;
  device: ThisDevice;
  warnings: Array<{ message: string; fields?: LogFields }>;
  lane: CryptoLane;
  applier(workers: WorkerOpeningOptions | null): RunApplier;
}

const identity = signal.IdentityKeyPair.generate();

function reader(): Reader {
  const dir = mkdtempSync(join(tmpdir(), 'opening-workers-'));
  const mirror = Mirror.open(join(dir, 'mirror.db'));
  cleanups.push(() => {
    mirror.close();
    rmSync(dir, { recursive: true, force: true });
  });
  mirror.upsertConversation(
    {
      id: GROUP,
      kind: 'group',
      name: 'Trip',
      members: [...WRITERS, SELF].map((id, i) => ({
        id,
        username: id,
        displayName: id,
        role: i === 0 ? 'owner' : 'member',
        deliveredSeq: 0,
        readSeq: 0,
      })),
      lastSeq: 0,
      createdAt: 1,
      isMember: true,
    },
    SELF,
  );
  const device: ThisDevice = {
    signal,
    address: signal.ProtocolAddress.new(SELF, 1),
    ratchet: () => new RatchetState(signal, mirror.signal, { identity, registrationId: 7 }, () => 1),
    inheritedKey: () => false,
  };
  const warnings: Reader['warnings'] = [];
  const log: Logger = {
    error: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
    info: () => undefined,
    debug: () => undefined,
  };
  const lane = new CryptoLane();
  return {
    mirror,
    device,
    warnings,
    lane,
    applier: (workers) => new RunApplier(mirror, lane, async () => device, SELF, log, workers),
  };
}

/** A pool whose threads the test can reach, ended after the test. */
function pool(threads: number) {
  const started: Worker[] = [];
  const opened = new OpeningPool({
    threads,
    spawn: (source: string, options: WorkerOptions) => {
      const worker = new Worker(source, options);
      started.push(worker);
      return worker;
    },
  });
  cleanups.push(() => opened.close());
  return { pool: opened, started };
}

/** What a reader's mirror holds of the group: messages as shown, what waits, the cursor, the writers' records. */
function stateOf(reader: Reader, seqs: number, distributionId: (userId: string) => string) {
  const messages = Array.from({ length: seqs }, (_, i) => reader.mirror.views.messageView(GROUP, `c-${i + 1}`, SELF)).map(
    (view) => view && { text: view.text, sender: view.senderId, edited: view.edited, reactions: view.reactions },
  );
  return {
    messages,
    waiting: reader.mirror.waitingEnvelopes(GROUP, () => undefined).map((event) => event.seq),
    appliedSeq: reader.mirror.appliedSeq(GROUP),
    records: WRITERS.map((userId) => reader.mirror.signal.senderKey(`${userId}.1`, distributionId(userId))?.toString('hex')),
  };
}

describe('a run opened in worker threads', () => {
  it('leaves the mirror as opening it on this thread does, whatever the run holds', async () => {
    const writers = await groupWriters();
    const events: EnvelopeEvent[] = [];
    // Two chains side by side, each advanced by many envelopes of one run.
    for (let i = 0; i < 20; i++) {
      events.push(await writers.seal('alice', { kind: 'message', text: `alice ${i}` }));
      events.push(await writers.seal('bob', { kind: 'message', text: `bob ${i}` }));
    }
    events.push(await writers.seal('alice', { kind: 'edit', messageId: 'c-1', text: 'alice 0, edited' }));
    events.push(await writers.seal('bob', { kind: 'reaction', messageId: 'c-1', emoji: '👍', on: true }));
    // Sealed in one order, given seqs in another: Alice's chain is opened out of its order.
    const first = await writers.seal('alice', { kind: 'message', text: 'sealed first' });
    const second = await writers.seal('alice', { kind: 'message', text: 'sealed second' });
    events.push(
      { ...second, seq: first.seq, clientId: first.clientId },
      { ...first, seq: second.seq, clientId: second.clientId },
    );
    // The same envelope again under another seq (a replay), garbage, a deleted one, and Carol's,
    // whose key this reader does not have: it waits.
    const replayed = events[2]!;
    const seq = events.length;
    events.push(
      { ...replayed, seq: seq + 1, clientId: `c-${seq + 1}` },
      envelope(seq + 2, 'bob', Buffer.from('not a sender key message').toString('base64')),
      { ...envelope(seq + 3, 'alice', ''), deleted: true },
    );
    const carols = await writers.seal('carol', { kind: 'message', text: 'from carol' });
    events.push({ ...carols, seq: seq + 4, clientId: `c-${seq + 4}` });
    // And this reader's own, which took effect here when it was sent: nothing is kept of it.
    events.push({ ...envelope(seq + 5, SELF, 'AAAA') });
    // Alice has another key too (another conversation's, say). A forged envelope's first bytes
    // claim that one, though libsignal reads it as under her key here.
    const otherId = '00000000-0000-4000-8000-0000000000aa';
    const other = await signal.SenderKeyDistributionMessage.create(address('alice'), otherId, new MemorySenderKeys());
    const real = Buffer.from(events[0]!.ciphertext, 'base64');
    const forged = Buffer.concat([real.subarray(0, 3), Buffer.from(otherId.replaceAll('-', ''), 'hex'), real.subarray(1)]);
    events.push(envelope(seq + 6, 'alice', forged.toString('base64')));
    const total = seq + 6;

    const onThread = reader();
    const inWorkers = reader();
    for (const each of [onThread, inWorkers]) {
      await writers.handTo(each, ['alice', 'bob']);
      const ratchet = each.device.ratchet();
      await signal.processSenderKeyDistributionMessage(address('alice'), other, ratchet);
      each.mirror.transaction(() => ratchet.writeTo(each.mirror.signal));
    }
    const { pool: workers, started } = pool(2);

    await onThread.applier(null).apply(GROUP, events, {});
    const run = await inWorkers.applier({ pool: workers, minimum: 1 }).apply(GROUP, events, {});

    expect(started).toHaveLength(2);
    expect(run.applied).toBe(total);
    const state = stateOf(inWorkers, total, writers.distributionId);
    expect(state).toEqual(stateOf(onThread, total, writers.distributionId));
    expect(state.messages[0]).toMatchObject({ text: 'alice 0, edited', edited: true });
    expect(state.messages.filter((message) => message?.text === 'sealed first')).toHaveLength(1);
    // Kept unopened, as on this thread: the replay, the garbage, Carol's and the forged one.
    expect(state.waiting).toEqual([seq + 1, seq + 2, seq + 4, seq + 6]);
    // Logged alike: the replay, the garbage and the forged one, nothing else.
    expect(inWorkers.warnings).toEqual(onThread.warnings);
    expect(inWorkers.warnings.map((warning) => warning.fields?.seq)).toEqual([seq + 1, seq + 2, seq + 6]);

    // The records the workers advanced open what comes next, in the workers and on this thread.
    const sealedNext = await writers.seal('alice', { kind: 'message', text: 'next' });
    const next = [{ ...sealedNext, seq: total + 1, clientId: `c-${total + 1}` }];
    await inWorkers.applier({ pool: workers, minimum: 1 }).apply(GROUP, next, {});
    await onThread.applier(null).apply(GROUP, next, {});
    expect(stateOf(inWorkers, total + 1, writers.distributionId)).toEqual(stateOf(onThread, total + 1, writers.distributionId));
    expect(inWorkers.mirror.views.messageView(GROUP, `c-${total + 1}`, SELF)?.text).toBe('next');
  });

  it('stays on this thread when the run is smaller than the minimum', async () => {
    const writers = await groupWriters();
    const events = [await writers.seal('alice', { kind: 'message', text: 'live' })];
    const one = reader();
    await writers.handTo(one);
    const { pool: workers, started } = pool(2);
    await one.applier({ pool: workers, minimum: 2 }).apply(GROUP, events, {});
    expect(started).toEqual([]);
    expect(one.mirror.views.messageView(GROUP, 'c-1', SELF)?.text).toBe('live');
  });
});

describe('what burns no key', () => {
  it('a worker that dies mid-run fails the run, stores nothing, and the run opens again later', async () => {
    const writers = await groupWriters();
    const events = [];
    for (let i = 0; i < 10; i++) events.push(await writers.seal('alice', { kind: 'message', text: `m${i}` }));
    const one = reader();
    await writers.handTo(one);
    const before = stateOf(one, 10, writers.distributionId);
    const { pool: workers, started } = pool(1);
    const applier = one.applier({ pool: workers, minimum: 1 });

    let killed = false;
    const dying = applier.apply(GROUP, events, {});
    // The job is on its way to the worker: the worker ends before it answers.
    await Promise.resolve().then(async () => {
      while (started.length === 0) await new Promise((resolve) => setImmediate(resolve));
      killed = true;
      await started[0]!.terminate();
    });
    await expect(dying).rejects.toBeInstanceOf(OpeningWorkerStopped);
    expect(killed).toBe(true);
    expect(stateOf(one, 10, writers.distributionId)).toEqual(before);

    const again = await applier.apply(GROUP, events, {});
    expect(started).toHaveLength(2);
    expect(again.applied).toBe(10);
    expect(stateOf(one, 10, writers.distributionId).messages.map((message) => message?.text)).toEqual(
      events.map((_, i) => `m${i}`),
    );
    expect(one.warnings).toEqual([]);
  });

  it('a write that fails after the workers opened the run stores no record, and the run opens again', async () => {
    const writers = await groupWriters();
    const events = [];
    for (let i = 0; i < 5; i++) events.push(await writers.seal('bob', { kind: 'message', text: `m${i}` }));
    const one = reader();
    await writers.handTo(one);
    const before = stateOf(one, 5, writers.distributionId);
    const { pool: workers } = pool(1);
    const applier = one.applier({ pool: workers, minimum: 1 });

    const applyEvents = one.mirror.applyEvents.bind(one.mirror);
    one.mirror.applyEvents = (conversationId, run, selfId, page, sealed) =>
      applyEvents(
        conversationId,
        run,
        selfId,
        page,
        sealed && {
          ratchet: sealed.ratchet,
          opened: new (class extends Map<number, Content> {
            override get(): Content | undefined {
              throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
            }
          })(sealed.opened),
        },
      );
    await expect(applier.apply(GROUP, events, {})).rejects.toThrow('database or disk is full');
    expect(stateOf(one, 5, writers.distributionId)).toEqual(before);

    one.mirror.applyEvents = applyEvents;
    await applier.apply(GROUP, events, {});
    expect(stateOf(one, 5, writers.distributionId).messages.map((message) => message?.text)).toEqual(
      events.map((_, i) => `m${i}`),
    );
    expect(one.warnings).toEqual([]);
  });

  it('a record that moved while the workers had the run: what they did is dropped, and the run opens on this thread', async () => {
    const writers = await groupWriters();
    const events = [];
    for (let i = 0; i < 6; i++) events.push(await writers.seal('alice', { kind: 'message', text: `m${i}` }));
    const one = reader();
    await writers.handTo(one);
    const { pool: workers } = pool(1);
    const log = {
      ...SILENT_LOGGER,
      warn: (message: string, fields?: LogFields) => one.warnings.push({ message, ...(fields ? { fields } : {}) }),
    };
    // While the workers have the first five, the sixth opens on this thread (as a waiting envelope
    // does when its key comes) and advances Alice's record.
    const sixth = events.slice(5);
    const stalled: WorkerOpeningOptions['pool'] = {
      open: async (chains) => {
        const ratchet = one.device.ratchet();
        expect((await openEnvelopes(one.device, ratchet, sixth, log)).size).toBe(1);
        one.mirror.transaction(() => ratchet.writeTo(one.mirror.signal));
        return workers.open(chains);
      },
    };
    await one.applier({ pool: stalled, minimum: 1 }).apply(GROUP, events.slice(0, 5), {});

    expect(stateOf(one, 5, writers.distributionId).messages.map((message) => message?.text)).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
      'm4',
    ]);
    expect(one.warnings).toEqual([]);
    // Had the workers' record (advanced from before the sixth) been stored, the sixth would open again.
    expect((await openEnvelopes(one.device, one.device.ratchet(), sixth, log)).size).toBe(0);
    expect(one.warnings.map((warning) => [warning.message, warning.fields?.seq])).toEqual([['an envelope did not open', 6]]);
  });
});

/** Sender keys in memory: the writers' side, which nothing here stores. */
class MemorySenderKeys implements SenderKeyStore {
  private readonly records = new Map<string, SenderKeyRecord>();

  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.records.set(`${sender.toString()}/${distributionId}`, record);
  }

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    return this.records.get(`${sender.toString()}/${distributionId}`) ?? null;
  }
}
