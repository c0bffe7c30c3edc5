/**
 * This device's sender keys (docs/e2ee-design.md, "Groups and sender keys"): what it writes in a
 * conversation is sealed once, under its sender key there, and every member's devices open it
 * with the key they were handed through the device inbox.
 *
 * A key is started with the first thing sealed in a conversation, and started again when someone
 * who was sent the current one is no longer a member (removed, or left): from then on they cannot
 * read what this device writes. Whoever is a member and was not sent the current key (someone
 * added since, or everyone when it is new) is sent it before anything sealed under it leaves: the
 * key queued to the device inbox, the chain's new state and what the caller keeps of the sealed
 * content are written in one transaction.
 */
import { encodeContent, type Content } from '../../content/content.js';
import type { Runtime } from '../../common/runtime.js';
import type { Mirror } from '../mirror/mirror.js';
import type { DeviceSender } from './device-sender.js';
import type { CryptoLane, ThisDevice } from './this-device.js';

export class SenderKeys {
  constructor(
    private readonly mirror: Mirror,
    private readonly runtime: Runtime,
    private readonly lane: CryptoLane,
    private readonly devices: DeviceSender,
    private readonly selfId: string,
  ) {}

  /**
   * Seals `content` for the conversation (a SenderKeyMessage, as base64) and hands it to `keep`
   * inside the transaction that stores the chain's new state, so what leaves was sealed under a
   * state that is never used again.
   */
  seal(device: ThisDevice, conversationId: string, content: Content, keep: (ciphertext: string) => void): Promise<string> {
    return this.lane.run(async () => {
      const { signal } = device;
      const tables = this.mirror.signal;
      const members = new Set([...this.mirror.members(conversationId).map((member) => member.userId), this.selfId]);
      const current = tables.senderKeyOf(conversationId);
      const holders = current ? tables.senderKeyHolders(current) : [];
      const stale = current === null || holders.some((userId) => !members.has(userId));
      const distributionId = stale ? this.runtime.random.uuid() : current;
      const missing = stale ? [...members] : [...members].filter((userId) => !holders.includes(userId));

      const ratchet = device.ratchet();
      // Made before the first message under it, so the key handed out opens that message too.
      const handOut =
        missing.length > 0 ? await signal.SenderKeyDistributionMessage.create(device.address, distributionId, ratchet) : null;
      const sealed = await signal.groupEncrypt(device.address, distributionId, ratchet, encodeContent(content));
      const ciphertext = Buffer.from(sealed.serialize()).toString('base64');
      this.mirror.transaction(() => {
        ratchet.writeTo(tables);
        if (stale) tables.startSenderKey(conversationId, distributionId, this.runtime.clock.now());
        if (handOut) {
          tables.addSenderKeyHolders(distributionId, missing);
          this.devices.queue(missing, {
            kind: 'sender_key',
            conversationId,
            distribution: Buffer.from(handOut.serialize()).toString('base64'),
          });
        }
        keep(ciphertext);
      });
      return ciphertext;
    });
  }
}
