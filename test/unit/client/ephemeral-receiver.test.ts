/**
 * Opening a call's ephemeral envelopes (crypto/ephemeral-receiver.ts): what one said is handed on
 * before its ratchet state is written, which then happens in the same unit of work, whatever the
 * hand-on did, so a replay of it never opens again.
 */
import { describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../../sync/common/logger.js';
import { EphemeralReceiver } from '../../../sync/client/crypto/ephemeral-receiver.js';
import { CryptoLane } from '../../../sync/client/crypto/this-device.js';
import type { EphemeralEnvelope } from '../../../sync/protocol/call-frames.js';
import { device, encrypt, PREKEY_MESSAGE, read, signal, startSession, type Device } from '../../support/ratchet-devices.js';

function warnings(): { log: Logger; said: string[] } {
  const said: string[] = [];
  const note = (message: string, fields?: LogFields) => said.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { log: { error: note, warn: note, info: () => undefined, debug: () => undefined }, said };
}

function receiverAt(at: Device, log: Logger, opened: (plaintext: string) => void): EphemeralReceiver {
  const thisDevice = { signal, address: at.address, ratchet: () => at.state(), inheritedKey: () => false };
  return new EphemeralReceiver(
    at.mirror,
    new CryptoLane(),
    async () => thisDevice,
    log,
    (_from, plaintext) => opened(read(plaintext)),
  );
}

async function ring(from: Device, to: Device, words: string): Promise<EphemeralEnvelope> {
  const sealed = await encrypt(from, to, words);
  return {
    senderUserId: from.userId,
    senderDevice: from.address.deviceId(),
    deviceNumber: to.address.deviceId(),
    kind: sealed.type() === PREKEY_MESSAGE ? 'prekey' : 'whisper',
    ciphertext: Buffer.from(sealed.serialize()).toString('base64'),
    sentAt: 1_000,
  };
}

describe('ephemeral receiver', () => {
  it('hands a ring on before its ratchet is written, writes it in the same unit, and never opens a replay', async () => {
    const [alice, bob] = [device('alice'), device('bob')];
    await startSession(alice, bob);
    const first = await ring(alice, bob, 'ring one');
    const { log, said } = warnings();
    const heard: Array<{ words: string; sessionStored: boolean }> = [];
    const receiver = receiverAt(bob, log, (words) =>
      heard.push({ words, sessionStored: bob.mirror.signal.session('alice.1') !== null }),
    );

    await receiver.pushed([first]);
    expect(heard).toEqual([{ words: 'ring one', sessionStored: false }]);
    expect(bob.mirror.signal.session('alice.1')).not.toBeNull();

    // The server sending the same envelope again: refused by the stored ratchet, logged, not heard.
    await receiver.pushed([first]);
    expect(heard).toHaveLength(1);
    expect(said).toEqual([expect.stringContaining('an ephemeral envelope could not be opened')]);

    const second = await ring(alice, bob, 'ring two');
    await receiver.pushed([second]);
    expect(heard.map(({ words }) => words)).toEqual(['ring one', 'ring two']);
  });

  it('writes the ratchet even when handing the ring on throws', async () => {
    const [alice, bob] = [device('alice'), device('bob')];
    await startSession(alice, bob);
    const first = await ring(alice, bob, 'ring one');
    const { log } = warnings();
    const receiver = receiverAt(bob, log, () => {
      throw new Error('the call driver failed');
    });

    await expect(receiver.pushed([first])).rejects.toThrow('the call driver failed');
    expect(bob.mirror.signal.session('alice.1')).not.toBeNull();
    const heard: string[] = [];
    const listening = receiverAt(bob, log, (words) => heard.push(words));
    await listening.pushed([first, await ring(alice, bob, 'ring two')]);
    expect(heard).toEqual(['ring two']);
  });

  it('opens only the envelopes for this device', async () => {
    const [alice, bob] = [device('alice'), device('bob')];
    await startSession(alice, bob);
    const envelope = await ring(alice, bob, 'for device 1');
    const heard: string[] = [];
    const receiver = receiverAt(bob, warnings().log, (words) => heard.push(words));
    await receiver.pushed([{ ...envelope, deviceNumber: 2 }]);
    expect(heard).toEqual([]);
    expect(bob.mirror.signal.session('alice.1')).toBeNull();
  });
});
