/**
 * libsignal's stores over the mirror (ratchet-state.ts): sessions from a published bundle, the
 * ratchet's state written only with what it decrypted, out-of-order delivery, replays, identity
 * changes, sender keys.
 */
import { describe, expect, it, vi } from 'vitest';
import { makePreKeys } from '../../../sync/client/crypto/prekeys.js';
import {
  bundleOf,
  decrypt,
  device,
  encrypt,
  handSenderKey,
  PREKEY_MESSAGE,
  read,
  signal,
  startSession,
  text,
  type Device,
} from '../../support/ratchet-devices.js';

/** Alice and Bob with a session each has answered on: what follows are plain SignalMessages. */
async function talkedBothWays(): Promise<[Device, Device]> {
  const [alice, bob] = [device('alice'), device('bob')];
  await startSession(alice, bob);
  expect(await decrypt(bob, alice, await encrypt(alice, bob, 'hi'))).toBe('hi');
  expect(await decrypt(alice, bob, await encrypt(bob, alice, 'hi alice'))).toBe('hi alice');
  return [alice, bob];
}

describe('ratchet state over the mirror', () => {
  it('starts a session from a published bundle, and a decryption not stored burns no key', async () => {
    const [alice, bob] = [device('alice'), device('bob')];
    await startSession(alice, bob);
    const first = await encrypt(alice, bob, 'hello bob');
    expect(first.type()).toBe(PREKEY_MESSAGE);

    // Killed between decrypting and storing: nothing of it reached the mirror...
    expect(await decrypt(bob, alice, first, false)).toBe('hello bob');
    expect(bob.mirror.signal.session('alice.1')).toBeNull();
    expect(bob.mirror.signal.oneTimeCounts()).toEqual({ prekeys: 3, kyber: 3 });
    // ...so on the next start the same envelope decrypts again, and is stored once.
    expect(await decrypt(bob, alice, first)).toBe('hello bob');
    expect(bob.mirror.signal.session('alice.1')).not.toBeNull();
    expect(bob.mirror.signal.oneTimeCounts()).toEqual({ prekeys: 2, kyber: 2 });
    // Once stored, the same envelope again is a replay.
    await expect(decrypt(bob, alice, first)).rejects.toThrow();
  });

  it('a transaction rolled back leaves the session as stored: what is held in memory forgets it too', async () => {
    const [alice, bob] = await talkedBothWays();
    expect(bob.mirror.signal.sessionDevicesOf('alice')).toEqual([1]);
    const stored = Buffer.from(bob.mirror.signal.session('alice.1')!);

    const sealed = await encrypt(alice, bob, 'once');
    const state = bob.state();
    await signal.signalDecrypt(signal.SignalMessage.deserialize(sealed.serialize()), alice.address, bob.address, state, state);
    expect(() =>
      bob.mirror.transaction(() => {
        state.writeTo(bob.mirror.signal);
        bob.mirror.signal.removeSession('alice.1');
        throw new Error('the disk is full');
      }),
    ).toThrow('the disk is full');
    expect(Buffer.from(bob.mirror.signal.session('alice.1')!).equals(stored)).toBe(true);
    expect(bob.mirror.signal.sessionDevicesOf('alice')).toEqual([1]);
    // Not stored, so it opens again, once.
    expect(await decrypt(bob, alice, sealed)).toBe('once');
    await expect(decrypt(bob, alice, sealed)).rejects.toThrow();
  });

  it('knows the devices of a person it has sessions with as sessions come and go', async () => {
    const [alice, bob] = [device('alice'), device('bob')];
    const laptop = device('bob', 2, bob.local.identity);
    expect(alice.mirror.signal.sessionDevicesOf('bob')).toEqual([]);
    await startSession(alice, bob);
    expect(alice.mirror.signal.sessionDevicesOf('bob')).toEqual([1]);
    await startSession(alice, laptop);
    expect(alice.mirror.signal.sessionDevicesOf('bob')).toEqual([1, 2]);
    alice.mirror.transaction(() => alice.mirror.signal.removeSession('bob.1'));
    expect(alice.mirror.signal.sessionDevicesOf('bob')).toEqual([2]);
    expect(alice.mirror.signal.session('bob.1')).toBeNull();
  });

  it('decrypts out of order, and refuses a replay', async () => {
    const [alice, bob] = await talkedBothWays();

    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await encrypt(alice, bob, `message ${i}`));
    for (const i of [4, 1, 3, 0, 2]) expect(await decrypt(bob, alice, sent[i]!)).toBe(`message ${i}`);
    await expect(decrypt(bob, alice, sent[3]!)).rejects.toThrow();
    // The session goes on after the refused replay.
    expect(await decrypt(bob, alice, await encrypt(alice, bob, 'still here'))).toBe('still here');
  });

  it('serializes a session only when it is stored, once for a unit of work that moved it several times, as it stands after the last', async () => {
    const [alice, bob] = await talkedBothWays();
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await encrypt(alice, bob, `message ${i}`));

    const serialized = vi.spyOn(signal.SessionRecord.prototype, 'serialize');
    const put = vi.spyOn(bob.mirror.signal, 'putSession');
    const state = bob.state();
    for (const sealed of sent) {
      await signal.signalDecrypt(signal.SignalMessage.deserialize(sealed.serialize()), alice.address, bob.address, state, state);
    }
    // Opened and handed on (a ring's dialog), with nothing serialized yet.
    expect(serialized).not.toHaveBeenCalled();
    bob.commit(state);
    expect(serialized).toHaveBeenCalledTimes(1);
    expect(put).toHaveBeenCalledTimes(1);
    vi.restoreAllMocks();
    // What was stored is the state after the last: none of the three opens again.
    for (const sealed of sent) await expect(decrypt(bob, alice, sealed)).rejects.toThrow();
    expect(await decrypt(bob, alice, await encrypt(alice, bob, 'after'))).toBe('after');
  });

  it('starts sessions from the last-resort Kyber key when the one-time keys ran out', async () => {
    const bob = device('bob');
    const bundle = bundleOf(bob, { oneTime: 0, kyber: 0 });
    expect(bundle.bundle.ecPrekey).toBeUndefined();
    expect(bundle.bundle.kyberPrekey.lastResort).toBe(true);
    for (const name of ['alice', 'carol']) {
      const sender = device(name);
      await startSession(sender, bob, bundle);
      expect(await decrypt(bob, sender, await encrypt(sender, bob, `from ${name}`))).toBe(`from ${name}`);
    }
  });

  it('refuses a bundle whose signed prekey is not signed by its identity', async () => {
    const [alice, bob, mallory] = [device('alice'), device('bob'), device('mallory')];
    const forged = { ...bundleOf(bob), identityKey: bundleOf(mallory).identityKey };
    await expect(startSession(alice, bob, forged)).rejects.toThrow();
    expect(alice.mirror.signal.session('bob.1')).toBeNull();
  });

  it('notes a changed identity: accepted for what arrives, not trusted for sending until saved', async () => {
    const [alice, bob] = [device('alice'), device('bob')];
    await startSession(alice, bob);
    expect(await decrypt(bob, alice, await encrypt(alice, bob, 'one'))).toBe('one');
    expect(bob.mirror.signal.identity('alice')).toMatchObject({ changedAt: null });

    // Alice starts over with a new identity (a new install without her recovery key).
    const newAlice = device('alice', 1);
    await startSession(newAlice, bob);
    expect(await decrypt(bob, newAlice, await encrypt(newAlice, bob, 'new me'))).toBe('new me');
    const stored = bob.mirror.signal.identity('alice')!;
    expect(stored.changedAt).not.toBeNull();
    expect(Buffer.from(stored.publicKey)).toEqual(Buffer.from(newAlice.local.identity.publicKey.serialize()));

    // Bob's old session toward Alice's old identity cannot be used to send until he saved the new key.
    const state = bob.state();
    const old = alice.local.identity.publicKey;
    expect(await state.isTrustedIdentity(alice.address, old, signal.Direction.Sending)).toBe(false);
    expect(await state.isTrustedIdentity(alice.address, old, signal.Direction.Receiving)).toBe(true);
  });

  it('carries a group through sender keys handed over pairwise', async () => {
    const [alice, bob, carol] = [device('alice'), device('bob'), device('carol')];
    const distributionId = 'd5a5a0c3-8d0e-4c39-9a59-0b3a3b1a0001';
    await handSenderKey(alice, distributionId, [bob, carol]);
    const sendState = alice.state();
    const sealed = await signal.groupEncrypt(alice.address, distributionId, sendState, text('to the group'));
    alice.commit(sendState);
    for (const member of [bob, carol]) {
      const state = member.state();
      expect(read(await signal.groupDecrypt(alice.address, state, sealed.serialize()))).toBe('to the group');
      member.commit(state);
    }
    // Someone who never got the sender key reads nothing.
    const outsider = device('dave');
    await expect(signal.groupDecrypt(alice.address, outsider.state(), sealed.serialize())).rejects.toThrow();
  });

  it('a group message opened in a transaction rolled back opens again, once: the sender key held in memory forgets it too', async () => {
    const [alice, bob] = [device('alice'), device('bob')];
    const distributionId = 'd5a5a0c3-8d0e-4c39-9a59-0b3a3b1a0002';
    await handSenderKey(alice, distributionId, [bob]);
    const seal = async (words: string) => {
      const state = alice.state();
      const sealed = await signal.groupEncrypt(alice.address, distributionId, state, text(words));
      alice.commit(state);
      return sealed.serialize();
    };
    const open = async (sealed: Uint8Array<ArrayBuffer>) => {
      const state = bob.state();
      const words = read(await signal.groupDecrypt(alice.address, state, sealed));
      bob.commit(state);
      return words;
    };
    expect(await open(await seal('first'))).toBe('first');
    const stored = Buffer.from(bob.mirror.signal.senderKey('alice.1', distributionId)!);

    const sealed = await seal('once');
    const state = bob.state();
    await signal.groupDecrypt(alice.address, state, sealed);
    expect(() =>
      bob.mirror.transaction(() => {
        state.writeTo(bob.mirror.signal);
        throw new Error('the disk is full');
      }),
    ).toThrow('the disk is full');
    expect(bob.mirror.signal.senderKey('alice.1', distributionId)!.equals(stored)).toBe(true);
    expect(await open(sealed)).toBe('once');
    await expect(open(sealed)).rejects.toThrow();
    // The chain goes on from what was stored.
    expect(await open(await seal('after'))).toBe('after');
  });

  it("reads a conversation's devices as last stored, and forgets a change rolled back", () => {
    const alice = device('alice');
    const devices = (version: number) => ({
      version,
      members: [{ userId: 'bob', devices: [{ deviceNumber: 1, registrationId: 7 }] }],
    });
    expect(alice.mirror.signal.conversationDevices('c1')).toBeNull();
    alice.mirror.transaction(() => alice.mirror.signal.setConversationDevices('c1', devices(1)));
    expect(alice.mirror.signal.conversationDevices('c1')).toEqual(devices(1));
    expect(() =>
      alice.mirror.transaction(() => {
        alice.mirror.signal.setConversationDevices('c1', devices(2));
        expect(alice.mirror.signal.conversationDevices('c1')).toEqual(devices(2));
        throw new Error('the disk is full');
      }),
    ).toThrow('the disk is full');
    expect(alice.mirror.signal.conversationDevices('c1')).toEqual(devices(1));
  });

  it('keeps prekey ids apart across batches', () => {
    const bob = device('bob');
    bundleOf(bob);
    const second = bob.mirror.transaction(() =>
      makePreKeys(
        signal,
        bob.mirror.signal,
        bob.local.identity,
        bob.local.registrationId,
        { rotate: false, oneTime: 3, kyber: 2 },
        6,
      ),
    );
    expect(second.signedPreKey).toBeUndefined();
    expect(second.oneTimePreKeys.map((key) => key.keyId)).toEqual([4, 5, 6]);
    // Kyber ids: 1 the last resort, 2–4 the first batch.
    expect(second.kyberPreKeys.map((key) => key.keyId)).toEqual([5, 6]);
    expect(bob.mirror.signal.oneTimeCounts()).toEqual({ prekeys: 6, kyber: 5 });
  });
});
