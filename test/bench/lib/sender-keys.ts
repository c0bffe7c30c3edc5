/**
 * Sender keys for the benchmarks, as devices use them (sync/client/crypto/sender-keys.ts): a
 * sender's device seals what it writes in a conversation under its key there, and every reader
 * opens it with the key's distribution message, which the device inbox brought it. Here the keys
 * live in memory (no mirror, no inbox): the seed seals its traffic with them (seed.ts), the
 * catch-up bench gives the reader's mirror the keys it was handed (client-profile.ts) and times
 * libsignal's own decrypt of the same ciphertexts as its floor, and the opening bench does the same.
 */
import type { ProtocolAddress, SenderKeyRecord, SenderKeyStore } from '@signalapp/libsignal-client';
import { addressKey } from '../../../sync/client/crypto/ratchet-state.js';
import type { SignalLibrary } from '../../../sync/client/crypto/signal-library.js';
import { encodeContent, type Content } from '../../../sync/content/content.js';

/** A sender key as its sender hands it out to a conversation's devices: the distribution message, base64. */
export interface HandedSenderKey {
  conversationId: string;
  senderId: string;
  senderDevice: number;
  distributionId: string;
  distribution: string;
}

/** A sender key store in memory: what libsignal's own encrypt and decrypt need, nothing stored. */
export class MemorySenderKeys implements SenderKeyStore {
  private readonly records = new Map<string, SenderKeyRecord>();

  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    this.records.set(`${addressKey(sender)}/${distributionId}`, record);
  }

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    return this.records.get(`${addressKey(sender)}/${distributionId}`) ?? null;
  }
}

/**
 * Every sending device's sender keys, one per (conversation, device) as a device starts one with
 * the first thing it seals there; what each seals is a SenderKeyMessage of the content as
 * encodeContent gives it, as groupEncrypt makes it in the app.
 */
export class SenderKeySealer {
  private readonly keys = new MemorySenderKeys();
  private readonly chains = new Map<string, { address: ProtocolAddress; distributionId: string }>();
  /** The distribution message of every key started, in the order they were started. */
  readonly handedOut: HandedSenderKey[] = [];

  constructor(
    private readonly signal: SignalLibrary,
    /** A new distribution id (the app's is a random UUID). */
    private readonly newDistributionId: () => string,
  ) {}

  /** The content sealed by `senderId`'s device `senderDevice` for the conversation, base64, as send_envelope carries it. */
  async seal(conversationId: string, senderId: string, senderDevice: number, content: Content): Promise<string> {
    const { signal } = this;
    const name = `${conversationId}/${senderId}.${senderDevice}`;
    let chain = this.chains.get(name);
    if (!chain) {
      chain = { address: signal.ProtocolAddress.new(senderId, senderDevice), distributionId: this.newDistributionId() };
      // Made before the first message under it, as the app does, so the key handed out opens that message too.
      const distribution = await signal.SenderKeyDistributionMessage.create(chain.address, chain.distributionId, this.keys);
      this.chains.set(name, chain);
      this.handedOut.push({
        conversationId,
        senderId,
        senderDevice,
        distributionId: chain.distributionId,
        distribution: Buffer.from(distribution.serialize()).toString('base64'),
      });
    }
    const sealed = await signal.groupEncrypt(chain.address, chain.distributionId, this.keys, encodeContent(content));
    return Buffer.from(sealed.serialize()).toString('base64');
  }
}

/** Takes up handed-out keys into `keys`, as a device processes the distribution messages its inbox brings. */
export async function receiveSenderKeys(
  signal: SignalLibrary,
  keys: SenderKeyStore,
  handed: readonly HandedSenderKey[],
): Promise<void> {
  for (const key of handed) {
    await signal.processSenderKeyDistributionMessage(
      signal.ProtocolAddress.new(key.senderId, key.senderDevice),
      signal.SenderKeyDistributionMessage.deserialize(new Uint8Array(Buffer.from(key.distribution, 'base64'))),
      keys,
    );
  }
}

/**
 * The records that handed-out keys give a receiving device, under the addresses the client reads
 * them by (ratchet-state.ts: "<user id>.<device number>"), for a mirror's Signal tables.
 */
export async function receivedSenderKeyRecords(
  signal: SignalLibrary,
  handed: readonly HandedSenderKey[],
): Promise<Array<{ address: string; distributionId: string; record: Uint8Array }>> {
  const keys = new MemorySenderKeys();
  await receiveSenderKeys(signal, keys, handed);
  return Promise.all(
    handed.map(async ({ senderId, senderDevice, distributionId }) => {
      const address = signal.ProtocolAddress.new(senderId, senderDevice);
      const record = await keys.getSenderKey(address, distributionId);
      if (!record) throw new Error(`No sender key record for ${addressKey(address)} under ${distributionId}`);
      return { address: addressKey(address), distributionId, record: record.serialize() };
    }),
  );
}
