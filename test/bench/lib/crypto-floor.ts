/**
 * What sealing adds to a delivery at the least: libsignal's own groupEncrypt on the sender and
 * groupDecrypt on the reader, one message at a time, each awaited as the app awaits them, with
 * the sender key in memory (no mirror, no crypto lane, no outbox). Taken in the benchmark's
 * process under the same load as the deliveries, so the raw exchange plus this is the floor a
 * sealed delivery can reach on this machine.
 */
import { randomUUID } from 'node:crypto';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { encodeContent } from '../../../sync/content/content.js';
import { MemorySenderKeys } from './sender-keys.js';
import { roundSummary, sleep, summarise, type Summary } from './stats.js';

export async function sealAndOpenLatency(samples: number, warmup: number): Promise<{ seal: Summary; open: Summary }> {
  const signal = await loadSignal();
  const sender = signal.ProtocolAddress.new(randomUUID(), 1);
  const distributionId = randomUUID();
  const senderKeys = new MemorySenderKeys();
  const readerKeys = new MemorySenderKeys();
  const handOut = await signal.SenderKeyDistributionMessage.create(sender, distributionId, senderKeys);
  await signal.processSenderKeyDistributionMessage(
    sender,
    signal.SenderKeyDistributionMessage.deserialize(handOut.serialize()),
    readerKeys,
  );
  const seal: number[] = [];
  const open: number[] = [];
  for (let i = 0; i < warmup + samples; i += 1) {
    const content = encodeContent({ kind: 'message', text: `latency probe ${i}` });
    const t0 = process.hrtime.bigint();
    const sealed = (await signal.groupEncrypt(sender, distributionId, senderKeys, content)).serialize();
    const t1 = process.hrtime.bigint();
    await signal.groupDecrypt(sender, readerKeys, sealed);
    const t2 = process.hrtime.bigint();
    if (i >= warmup) {
      seal.push(Number(t1 - t0) / 1e6);
      open.push(Number(t2 - t1) / 1e6);
    }
    // Apart, as the deliveries are: each finds the event loop idle.
    await sleep(1);
  }
  return { seal: roundSummary(summarise(seal)), open: roundSummary(summarise(open)) };
}
