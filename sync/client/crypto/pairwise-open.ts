/**
 * Opens what another device sealed for this one with their pairwise session: a device inbox's
 * envelope (inbox-receiver.ts) or a call's ephemeral one (ephemeral-receiver.ts). The ratchet
 * state it moves on is `ratchet`'s, for the caller to store with what the envelope did.
 */
import type { ProtocolAddress } from '@signalapp/libsignal-client';
import type { EnvelopeKind } from '../../protocol/inbox-frames.js';
import type { RatchetState } from './ratchet-state.js';
import type { ThisDevice } from './this-device.js';

export function openPairwise(
  device: ThisDevice,
  ratchet: RatchetState,
  sender: ProtocolAddress,
  envelope: { kind: EnvelopeKind; ciphertext: string },
): Promise<Uint8Array> {
  const bytes = new Uint8Array(Buffer.from(envelope.ciphertext, 'base64'));
  const { signal } = device;
  switch (envelope.kind) {
    case 'prekey':
      return signal.signalDecryptPreKey(
        signal.PreKeySignalMessage.deserialize(bytes),
        sender,
        device.address,
        ratchet,
        ratchet,
        ratchet,
        ratchet,
        ratchet,
      );
    case 'whisper':
      return signal.signalDecrypt(signal.SignalMessage.deserialize(bytes), sender, device.address, ratchet, ratchet);
  }
}
