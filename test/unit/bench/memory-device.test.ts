/**
 * The first-message benchmark's devices in memory (test/bench/lib/memory-device.ts) answer
 * libsignal as the app's RatchetState does: a session starts from the keys makePreKeys made and a
 * bundle of them, its first message uses up the one-time prekeys (and does not open twice), and a sender
 * key handed over it opens what its sender seals.
 */
import { describe, expect, it } from 'vitest';
import { makePreKeys, newRegistrationId, toPreKeyBundle } from '../../../sync/client/crypto/prekeys.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { MemoryDevice } from '../../bench/lib/memory-device.js';

const signal = await loadSignal();

function device(userId: string, deviceNumber: number, identity = signal.IdentityKeyPair.generate()) {
  const registrationId = newRegistrationId(Math.random);
  const keys = new MemoryDevice(signal, identity, registrationId);
  return { keys, identity, registrationId, address: signal.ProtocolAddress.new(userId, deviceNumber) };
}

type Device = ReturnType<typeof device>;

/** The device's first publish, and the bundle the directory hands out of it (its first one-time keys). */
function bundleOf(owner: Device) {
  const published = makePreKeys(
    signal,
    owner.keys,
    owner.identity,
    owner.registrationId,
    { rotate: true, oneTime: 2, kyber: 2 },
    1,
  );
  return toPreKeyBundle(signal, published.identityKey, {
    deviceNumber: owner.address.deviceId(),
    registrationId: published.registrationId,
    signedPrekey: published.signedPreKey!,
    ecPrekey: published.oneTimePreKeys[0]!,
    kyberPrekey: { ...published.kyberPreKeys[0]!, lastResort: false },
  });
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (plain: Uint8Array) => Buffer.from(plain).toString('utf8');

describe('a benchmark device in memory', () => {
  it('starts a session from its published keys, uses up their one-time prekeys, and opens a sender key handed over it', async () => {
    const alice = device('alice', 1);
    // Bob's two devices share his identity, as a person's devices do.
    const bob = device('bob', 1);
    const bobsOther = device('bob', 2, bob.identity);
    await signal.processPreKeyBundle(bundleOf(bob), bob.address, alice.address, alice.keys, alice.keys);
    await signal.processPreKeyBundle(bundleOf(bobsOther), bobsOther.address, alice.address, alice.keys, alice.keys);

    const distributionId = crypto.randomUUID();
    const distribution = await signal.SenderKeyDistributionMessage.create(alice.address, distributionId, alice.keys);
    for (const receiver of [bob, bobsOther]) {
      const sealed = await signal.signalEncrypt(
        new Uint8Array(distribution.serialize()),
        receiver.address,
        alice.address,
        alice.keys,
        alice.keys,
      );
      expect(sealed.type()).toBe(signal.CiphertextMessageType.PreKey);
      const message = signal.PreKeySignalMessage.deserialize(sealed.serialize());
      const open = () =>
        signal.signalDecryptPreKey(
          message,
          alice.address,
          receiver.address,
          receiver.keys,
          receiver.keys,
          receiver.keys,
          receiver.keys,
          receiver.keys,
        );
      const handed = await open();
      await expect(open()).rejects.toThrow();
      // The one-time prekeys it used are gone (the first of each kind; Kyber's id 1 is the last-resort key, which stays).
      await expect(receiver.keys.getPreKey(1)).rejects.toThrow();
      await expect(receiver.keys.getKyberPreKey(2)).rejects.toThrow();
      await expect(receiver.keys.getKyberPreKey(1)).resolves.toBeDefined();
      await signal.processSenderKeyDistributionMessage(
        alice.address,
        signal.SenderKeyDistributionMessage.deserialize(handed),
        receiver.keys,
      );
    }

    const sealed = await signal.groupEncrypt(alice.address, distributionId, alice.keys, bytes('hello, both of you'));
    for (const receiver of [bob, bobsOther]) {
      expect(text(await signal.groupDecrypt(alice.address, receiver.keys, sealed.serialize()))).toBe('hello, both of you');
    }
  });
});
