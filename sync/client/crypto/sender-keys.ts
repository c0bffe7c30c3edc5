/**
 * This device's sender keys (docs/e2ee-design.md, "Groups and sender keys"): what it writes in a
 * conversation is sealed once, under its sender key there, and every member's devices open it
 * with the key they were handed through the device inbox.
 *
 * Holders are devices (user, number, registration id), and the devices to hand the key to are the
 * members' as the server last said (protocol/conversation-devices.ts): it refuses an envelope
 * sealed for another devices version, with the devices now, and the sender records them
 * (`devicesChanged`) and seals again. A key is started with the first thing sealed in a
 * conversation, and started again when a device that was handed the current one is no longer
 * among them (unlinked, signed out, replaced, or its person left): from then on it cannot read what
 * this device writes. Every current device not handed the current key (a member added since, a
 * member's new device, or all when it is new) is handed it before anything sealed under it leaves:
 * the key queued to the device inbox, the chain's new state and what the caller keeps of the
 * sealed content are written in one transaction.
 */
import type { ProtocolAddress } from '@signalapp/libsignal-client';
import { encodeContent, type Content } from '../../content/content.js';
import type { Runtime } from '../../common/runtime.js';
import type { ConversationDevices } from '../../protocol/conversation-devices.js';
import type { SealedEnvelope } from '../../protocol/envelope-frames.js';
import type { Mirror } from '../mirror/mirror.js';
import type { DeviceAddress } from '../mirror/signal-tables.js';
import type { DeviceSender } from './device-sender.js';
import type { CryptoLane, ThisDevice } from './this-device.js';

export class SenderKeys {
  constructor(
    private readonly mirror: Mirror,
    private readonly runtime: Runtime,
    private readonly lane: CryptoLane,
    private readonly devices: DeviceSender,
  ) {}

  /**
   * Seals `content` for the conversation and hands it to `keep` inside the transaction that stores
   * the chain's new state, so what leaves was sealed under a state that is never used again. What
   * `keep` returns runs as soon as the transaction commits, before anything else can.
   */
  seal(
    device: ThisDevice,
    conversationId: string,
    content: Content,
    keep: (sealed: SealedEnvelope) => (() => void) | void,
  ): Promise<SealedEnvelope> {
    return this.lane.run(async () => {
      const { signal } = device;
      const tables = this.mirror.signal;
      const known = tables.conversationDevices(conversationId);
      const current = tables.senderKeyOf(conversationId);
      const devices = known && devicesBesides(known, device.address);
      const holders = current ? tables.senderKeyHolders(current) : [];
      const now = new Set((devices ?? []).map(keyOf));
      const fresh = current === null || (devices !== null && holders.some((holder) => !now.has(keyOf(holder))));
      const held = new Set(fresh ? [] : holders.map(keyOf));
      const missing = (devices ?? []).filter((other) => !held.has(keyOf(other)));
      const distributionId = fresh ? this.runtime.random.uuid() : current;

      const ratchet = device.ratchet();
      // Made before the first message under it, so the key handed out opens that message too (and
      // made for a new key in any case: it starts the chain).
      const handOut =
        fresh || missing.length > 0
          ? await signal.SenderKeyDistributionMessage.create(device.address, distributionId, ratchet)
          : null;
      const encrypted = await signal.groupEncrypt(device.address, distributionId, ratchet, encodeContent(content));
      const sealed = {
        ciphertext: Buffer.from(encrypted.serialize()).toString('base64'),
        devicesVersion: known?.version ?? null,
      };
      const committed = this.mirror.transaction(() => {
        ratchet.writeTo(tables);
        if (fresh) {
          tables.startSenderKey(conversationId, distributionId, this.runtime.clock.now());
          // Its start, kept for the account's restores: they open what this device writes under it.
          if (handOut) {
            this.mirror.settings.keepSenderKey(conversationId, {
              senderId: device.address.name(),
              deviceNumber: device.address.deviceId(),
              distributionId,
              distribution: Buffer.from(handOut.serialize()).toString('base64'),
            });
          }
        }
        if (handOut && missing.length > 0) {
          tables.addSenderKeyHolders(distributionId, missing);
          // The inbox goes to every device of each person named; those that hold the key already keep it.
          this.devices.queue([...new Set(missing.map((other) => other.userId))], {
            kind: 'sender_key',
            conversationId,
            distribution: Buffer.from(handOut.serialize()).toString('base64'),
          });
        }
        return keep(sealed);
      });
      committed?.();
      return sealed;
    });
  }

  /**
   * The server refused an envelope of this conversation as sealed for other devices: the devices
   * it named are kept (never older ones over newer), and the next seal there hands its key to them.
   */
  devicesChanged(conversationId: string, devices: ConversationDevices): Promise<void> {
    return this.lane.run(() => {
      const kept = this.mirror.signal.conversationDevices(conversationId);
      if (kept && kept.version > devices.version) return Promise.resolve();
      this.mirror.transaction(() => this.mirror.signal.setConversationDevices(conversationId, devices));
      return Promise.resolve();
    });
  }
}

/** Every device the conversation's members have, but this one. */
function devicesBesides(known: ConversationDevices, self: ProtocolAddress): DeviceAddress[] {
  // Read once: each is a call into libsignal.
  const selfId = self.name();
  const selfNumber = self.deviceId();
  return known.members.flatMap(({ userId, devices }) =>
    devices.filter((other) => !(userId === selfId && other.deviceNumber === selfNumber)).map((other) => ({ userId, ...other })),
  );
}

const keyOf = (device: DeviceAddress) => `${device.userId}.${device.deviceNumber}.${device.registrationId}`;
