/**
 * Opening sealed envelopes: 100,000 messages sealed under sender keys, spread over 100 groups (one
 * writing device each), opened and applied by a reader's mirror the way a catch-up does it: pages
 * of 500 events, each opened in one unit of ratchet work (crypto/envelope-opener.ts) and applied
 * with that state in one transaction (Mirror.applyEvents), the rules judging every message.
 *
 * - Baseline: libsignal alone, groupDecrypt of the same ciphertexts over an in-memory sender key
 *   store holding the same keys: the floor for opening them on this thread.
 * - Target (issue 31): at least 15,000 messages/s, within 1.5× of the raw decrypt. Both run on one
 *   thread here; opening in worker threads is what is left to meet it.
 * - Not measured: the network and the server (the catch-up bench has those); sealing (done before
 *   the clock starts).
 */
import { join } from 'node:path';
import type { ProtocolAddress, SenderKeyRecord, SenderKeyStore } from '@signalapp/libsignal-client';
import { openEnvelopes } from '../../sync/client/crypto/envelope-opener.js';
import { RatchetState } from '../../sync/client/crypto/ratchet-state.js';
import { loadSignal } from '../../sync/client/crypto/signal-library.js';
import type { ThisDevice } from '../../sync/client/crypto/this-device.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { SILENT_LOGGER } from '../../sync/common/logger.js';
import { encodeContent } from '../../sync/content/content.js';
import type { EnvelopeEvent } from '../../sync/protocol/envelope-frames.js';
import { tempDir } from './lib/proc.js';
import { log, row, runBench, scaled } from './lib/report.js';

const BENCH = 'opening';
const FULL_MESSAGES = 100_000;
const CONVERSATIONS = 100;
const PAGE = 500;
const SELF = 'reader';

runBench(BENCH, async ({ scale }) => {
  const signal = await loadSignal();
  const messages = scaled(FULL_MESSAGES, scale, CONVERSATIONS);
  const perConversation = Math.ceil(messages / CONVERSATIONS);
  const dir = tempDir(BENCH);
  const reader = Mirror.open(join(dir, 'reader.db'));
  const writers = Mirror.open(join(dir, 'writers.db'));
  const readerIdentity = signal.IdentityKeyPair.generate();
  const readerDevice: ThisDevice = {
    signal,
    address: signal.ProtocolAddress.new(SELF, 1),
    ratchet: () => new RatchetState(signal, reader.signal, { identity: readerIdentity, registrationId: 1 }, Date.now),
  };

  log(BENCH, `sealing ${perConversation * CONVERSATIONS} messages in ${CONVERSATIONS} groups`);
  const runs: EnvelopeEvent[][] = [];
  const rawKeys = new MemorySenderKeys();
  for (let c = 0; c < CONVERSATIONS; c++) {
    const conversationId = `group-${c}`;
    const writerId = `writer-${c}`;
    reader.upsertConversation(
      {
        id: conversationId,
        kind: 'group',
        name: `Group ${c}`,
        members: [writerId, SELF].map((id, i) => ({
          id,
          username: id,
          displayName: id,
          role: i === 0 ? 'owner' : 'member',
          deliveredSeq: 0,
          readSeq: 0,
        })),
        lastSeq: perConversation,
        createdAt: 1,
        isMember: true,
      },
      SELF,
    );
    const writer = signal.ProtocolAddress.new(writerId, 1);
    const sealing = new RatchetState(
      signal,
      writers.signal,
      { identity: signal.IdentityKeyPair.generate(), registrationId: 2 },
      Date.now,
    );
    const distributionId = `00000000-0000-4000-8000-${String(c).padStart(12, '0')}`;
    const handOut = await signal.SenderKeyDistributionMessage.create(writer, distributionId, sealing);
    const receiving = readerDevice.ratchet();
    await signal.processSenderKeyDistributionMessage(writer, handOut, receiving);
    reader.transaction(() => receiving.writeTo(reader.signal));
    await signal.processSenderKeyDistributionMessage(writer, handOut, rawKeys);
    const run: EnvelopeEvent[] = [];
    for (let seq = 1; seq <= perConversation; seq++) {
      const content = encodeContent({
        kind: 'message',
        text: `Message ${seq} of group ${c}: see you at the station at ${seq % 24}:00`,
      });
      const sealed = await signal.groupEncrypt(writer, distributionId, sealing, content);
      run.push({
        kind: 'envelope',
        conversationId,
        seq,
        senderId: writerId,
        senderDevice: 1,
        clientId: `m-${c}-${seq}`,
        ciphertext: Buffer.from(sealed.serialize()).toString('base64'),
        attachments: [],
        deleted: false,
        sentAt: 1_000 + seq,
      });
    }
    writers.transaction(() => sealing.writeTo(writers.signal));
    runs.push(run);
  }
  const total = runs.reduce((sum, run) => sum + run.length, 0);

  log(BENCH, 'raw libsignal decrypt (baseline)');
  const rawStarted = performance.now();
  for (const run of runs) {
    for (const envelope of run) {
      const sender = signal.ProtocolAddress.new(envelope.senderId, envelope.senderDevice);
      await signal.groupDecrypt(sender, rawKeys, new Uint8Array(Buffer.from(envelope.ciphertext, 'base64')));
    }
  }
  const rawMs = performance.now() - rawStarted;

  log(BENCH, 'opening and applying, page by page');
  const started = performance.now();
  let opened = 0;
  for (const run of runs) {
    for (let from = 0; from < run.length; from += PAGE) {
      const page = run.slice(from, from + PAGE);
      const ratchet = readerDevice.ratchet();
      const contents = await openEnvelopes(readerDevice, ratchet, page, SILENT_LOGGER);
      reader.applyEvents(page[0]!.conversationId, page, SELF, {}, { opened: contents, ratchet });
      opened += contents.size;
    }
  }
  const openMs = performance.now() - started;
  if (opened !== total) throw new Error(`Opened ${opened} of ${total} envelopes`);
  reader.close();
  writers.close();

  const rate = (total * 1000) / openMs;
  const rawRate = (total * 1000) / rawMs;
  return {
    sizes: { messages: total, conversations: CONVERSATIONS, page: PAGE },
    rows: [
      row({
        key: 'opening.rate',
        name: 'Open and apply sealed messages (one thread)',
        value: Math.round(rate),
        unit: 'msg/s',
        baseline: { name: 'raw libsignal groupDecrypt', value: Math.round(rawRate), unit: 'msg/s' },
        ratio: Math.round((openMs / rawMs) * 100) / 100,
        target: { text: '≥ 15,000 msg/s', op: '>=', value: 15_000 },
      }),
    ],
    details: { openMs: Math.round(openMs), rawMs: Math.round(rawMs) },
    findings: [
      `Opening and applying took ${(openMs / rawMs).toFixed(2)}× the raw decrypt of the same ciphertexts; both on one thread.`,
    ],
  };
});

/** A sender key store in memory: what libsignal's own decrypt needs, nothing stored. */
class MemorySenderKeys implements SenderKeyStore {
  private readonly records = new Map<string, SenderKeyRecord>();

  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.records.set(`${sender.toString()}/${distributionId}`, record);
  }

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    return this.records.get(`${sender.toString()}/${distributionId}`) ?? null;
  }
}
