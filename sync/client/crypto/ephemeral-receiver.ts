/**
 * Opens the ephemeral envelopes pushed to this device (protocol/call-frames.ts: ephemeral_push):
 * each by the pairwise session with its sender's device, in the crypto lane. What it said is handed
 * on first and its ratchet state stored right after, in the same turn: nothing of it is stored, so
 * the write has nothing to keep consistent with and would only hold up a ring. Nothing is
 * acknowledged (the server stored nothing); one that does not open (a replay, garbage) is logged
 * and dropped.
 */
import { errorFields, type Logger } from '../../common/logger.js';
import type { EphemeralEnvelope } from '../../protocol/call-frames.js';
import type { Mirror } from '../mirror/mirror.js';
import { openPairwise } from './pairwise-open.js';
import type { DeviceNumbered } from './resend-asker.js';
import type { CryptoLane, ThisDevice } from './this-device.js';

export class EphemeralReceiver {
  constructor(
    private readonly mirror: Mirror,
    private readonly lane: CryptoLane,
    private readonly device: () => Promise<ThisDevice | null>,
    private readonly log: Logger,
    /** What an envelope said, opened, from the device that sealed it, on this device (numbered `to`). */
    private readonly opened: (from: DeviceNumbered, plaintext: Uint8Array, to: number) => void,
  ) {}

  /** Envelopes pushed to the account's connections: this device opens its own, in the order they came. */
  async pushed(envelopes: readonly EphemeralEnvelope[]): Promise<void> {
    const device = await this.device();
    if (!device) return;
    for (const envelope of envelopes) {
      if (envelope.deviceNumber !== device.address.deviceId()) continue;
      await this.open(device, envelope);
    }
  }

  private open(device: ThisDevice, envelope: EphemeralEnvelope): Promise<void> {
    return this.lane.run(async () => {
      const ratchet = device.ratchet();
      const sender = device.signal.ProtocolAddress.new(envelope.senderUserId, envelope.senderDevice);
      let plaintext: Uint8Array;
      try {
        plaintext = await openPairwise(device, ratchet, sender, envelope);
      } catch (error) {
        this.log.warn('an ephemeral envelope could not be opened', {
          sender: `${envelope.senderUserId}.${envelope.senderDevice}`,
          kind: envelope.kind,
          ...errorFields(error),
        });
        return;
      }
      try {
        this.opened({ userId: envelope.senderUserId, deviceNumber: envelope.senderDevice }, plaintext, envelope.deviceNumber);
      } finally {
        this.mirror.transaction(() => ratchet.writeTo(this.mirror.signal));
      }
    });
  }
}
