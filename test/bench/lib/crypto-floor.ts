/**
 * What sealing adds to a delivery at the least: libsignal's own groupEncrypt on the sender and
 * groupDecrypt on the reader, one message at a time, each awaited as the app awaits them, with
 * the sender key in memory (no mirror, no crypto lane, no outbox). Taken in the benchmark's
 * process under the same load as the deliveries, so the raw exchange plus this is the floor a
 * sealed delivery can reach on this machine.
 */
import { randomUUID } from 'node:crypto';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { makePreKeys, newRegistrationId, toPreKeyBundle } from '../../../sync/client/crypto/prekeys.js';
import { encodeContent } from '../../../sync/content/content.js';
import { MemoryDevice } from './memory-device.js';
import { MemorySenderKeys } from './sender-keys.js';
import type { Rng } from './random.js';
import { roundSummary, sleep, summarise, type Summary } from './stats.js';

/** libsignal's own seal and open of one message, p50 and beyond, at two spacings. */
export interface SealAndOpenLatency {
  /** Each after an idle gap as long as the deliveries' own (5–15 ms): the floor a delivery can reach. */
  apart: { seal: Summary; open: Summary };
  /** The open straight after the seal, 1 ms between messages: the same work with the processor awake. */
  backToBack: { seal: Summary; open: Summary };
}

/**
 * Measured at the deliveries' spacing as well as back to back, since on this machine a process
 * woken after idling runs its first steps two to three times slower, and in a delivery the sender
 * and the reader each wake once for every message.
 */
export async function sealAndOpenLatency(samples: number, warmup: number, rng: Rng): Promise<SealAndOpenLatency> {
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
  return atTwoSpacings(
    samples,
    warmup,
    rng,
    (i) => encodeContent({ kind: 'message', text: `latency probe ${i}` }),
    async (content) => (await signal.groupEncrypt(sender, distributionId, senderKeys, content)).serialize(),
    (sealed) => signal.groupDecrypt(sender, readerKeys, sealed),
  );
}

/**
 * Seals and opens `warmup + samples` messages, each made before the clock starts: back to back
 * (1 ms between messages), then apart (5–15 ms of idle before each seal and each open), timing
 * every seal and open after the warm-up.
 */
async function atTwoSpacings(
  samples: number,
  warmup: number,
  rng: Rng,
  message: (i: number) => Uint8Array<ArrayBuffer>,
  seal: (message: Uint8Array<ArrayBuffer>) => Promise<Uint8Array<ArrayBuffer>>,
  open: (sealed: Uint8Array<ArrayBuffer>) => Promise<unknown>,
): Promise<SealAndOpenLatency> {
  const timed = async (idleMs: () => number) => {
    const sealTimes: number[] = [];
    const openTimes: number[] = [];
    for (let i = 0; i < warmup + samples; i += 1) {
      const bytes = message(i);
      await sleep(idleMs());
      const t0 = process.hrtime.bigint();
      const sealed = await seal(bytes);
      const t1 = process.hrtime.bigint();
      const pause = idleMs();
      if (pause > 1) await sleep(pause);
      const t2 = process.hrtime.bigint();
      await open(sealed);
      const t3 = process.hrtime.bigint();
      if (i >= warmup) {
        sealTimes.push(Number(t1 - t0) / 1e6);
        openTimes.push(Number(t3 - t2) / 1e6);
      }
    }
    return { seal: roundSummary(summarise(sealTimes)), open: roundSummary(summarise(openTimes)) };
  };
  const backToBack = await timed(() => 1);
  const apart = await timed(() => rng.int(5, 15));
  return { apart, backToBack };
}

/**
 * The same floor for what a call says (issue 32): libsignal's own signalEncrypt on the caller and
 * signalDecrypt on the callee of one call signal, pairwise (the session one device has with
 * another, as DeviceSender.sendEphemeral and EphemeralReceiver use it), with both devices' state in
 * memory (lib/memory-device.ts). The session is started from the callee's published bundle and
 * answered once beforehand, so every timed message is a plain SignalMessage, as between two
 * devices that have talked before. Apart means after the rings' own idle gaps (5–15 ms), which
 * is how the callee's process opens a ring.
 */
export async function pairwiseSealAndOpenLatency(
  samples: number,
  warmup: number,
  plaintext: (i: number) => Uint8Array<ArrayBuffer>,
  rng: Rng,
): Promise<SealAndOpenLatency> {
  const signal = await loadSignal();
  const device = (userId: string) => {
    const identity = signal.IdentityKeyPair.generate();
    const registrationId = newRegistrationId(Math.random);
    const keys = new MemoryDevice(signal, identity, registrationId);
    const published = makePreKeys(signal, keys, identity, registrationId, { rotate: true, oneTime: 1, kyber: 1 }, Date.now());
    return { keys, registrationId, published, address: signal.ProtocolAddress.new(userId, 1) };
  };
  const caller = device(randomUUID());
  const callee = device(randomUUID());
  const bundle = {
    deviceNumber: 1,
    registrationId: callee.registrationId,
    signedPrekey: callee.published.signedPreKey!,
    ecPrekey: callee.published.oneTimePreKeys[0]!,
    kyberPrekey: { ...callee.published.kyberPreKeys[0]!, lastResort: false },
  };
  await signal.processPreKeyBundle(
    toPreKeyBundle(signal, callee.published.identityKey, bundle),
    callee.address,
    caller.address,
    caller.keys,
    caller.keys,
    new Date(),
  );
  const seal = (from: typeof caller, to: typeof caller, bytes: Uint8Array<ArrayBuffer>) =>
    signal.signalEncrypt(bytes, to.address, from.address, from.keys, from.keys, new Date());
  // The first message starts the session on the callee's side; its answer settles it on the caller's.
  const first = await seal(caller, callee, plaintext(0));
  await signal.signalDecryptPreKey(
    signal.PreKeySignalMessage.deserialize(first.serialize()),
    caller.address,
    callee.address,
    callee.keys,
    callee.keys,
    callee.keys,
    callee.keys,
    callee.keys,
  );
  const answer = await seal(callee, caller, plaintext(0));
  await signal.signalDecrypt(
    signal.SignalMessage.deserialize(answer.serialize()),
    callee.address,
    caller.address,
    caller.keys,
    caller.keys,
  );
  return atTwoSpacings(
    samples,
    warmup,
    rng,
    plaintext,
    async (bytes) => (await seal(caller, callee, bytes)).serialize(),
    (sealed) =>
      signal.signalDecrypt(signal.SignalMessage.deserialize(sealed), caller.address, callee.address, callee.keys, callee.keys),
  );
}
