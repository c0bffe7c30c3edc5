/**
 * Devices whose libsignal state lives in a mirror of their own, for tests of the stores over the
 * mirror (RatchetState) and of what opens envelopes with them: sessions started from a published
 * bundle, messages sealed and opened in units of work that are stored as the app stores them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CiphertextMessage, ProtocolAddress } from '@signalapp/libsignal-client';
import { afterEach } from 'vitest';
import { makePreKeys, newRegistrationId, toPreKeyBundle } from '../../sync/client/crypto/prekeys.js';
import type { KeyBundle } from '../../sync/protocol/key-frames.js';
import { HydratedRecords } from '../../sync/client/crypto/hydrated-records.js';
import { RatchetState, type LocalDevice } from '../../sync/client/crypto/ratchet-state.js';
import { loadSignal } from '../../sync/client/crypto/signal-library.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';

export const signal = await loadSignal();
export const PREKEY_MESSAGE: number = signal.CiphertextMessageType.PreKey;
const dirs: string[] = [];
const mirrors: Mirror[] = [];
afterEach(() => {
  for (const mirror of mirrors.splice(0)) mirror.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface Device {
  userId: string;
  address: ProtocolAddress;
  mirror: Mirror;
  local: LocalDevice;
  /** A fresh unit of work over the device's mirror. */
  state(): RatchetState;
  /** Stores what a unit of work changed, as the applier does with the message it decrypted. */
  commit(state: RatchetState): void;
}

let clock = 1_000;

export function device(userId: string, deviceNumber = 1, identity = signal.IdentityKeyPair.generate()): Device {
  const dir = mkdtempSync(join(tmpdir(), 'ratchet-'));
  dirs.push(dir);
  const mirror = Mirror.open(join(dir, 'mirror.sqlite'));
  mirrors.push(mirror);
  const registrationId = mirror.transaction(() => mirror.signal.ensureRegistrationId(newRegistrationId(Math.random)));
  const local = { identity, registrationId };
  // Shared by every unit of work, as this-device.ts shares it: records are reused across units.
  const hydrated = new HydratedRecords(signal);
  return {
    userId,
    address: signal.ProtocolAddress.new(userId, deviceNumber),
    mirror,
    local,
    state: () => new RatchetState(signal, mirror.signal, local, () => clock++, hydrated),
    commit: (state) => mirror.transaction(() => state.writeTo(mirror.signal)),
  };
}

/** Starts `sender`'s sender key and hands it to `members`, each storing it as its inbox would. */
export async function handSenderKey(sender: Device, distributionId: string, members: readonly Device[]): Promise<void> {
  const state = sender.state();
  const distribution = await signal.SenderKeyDistributionMessage.create(sender.address, distributionId, state);
  sender.commit(state);
  for (const member of members) {
    const handed = member.state();
    await signal.processSenderKeyDistributionMessage(
      sender.address,
      signal.SenderKeyDistributionMessage.deserialize(distribution.serialize()),
      handed,
    );
    member.commit(handed);
  }
}

/** Publishes a batch of `owner`'s prekeys and hands out a bundle as the directory would (consuming the first one-time keys). */
export function bundleOf(owner: Device, { oneTime = 3, kyber = 3 } = {}): { identityKey: string; bundle: KeyBundle } {
  const published = owner.mirror.transaction(() =>
    makePreKeys(
      signal,
      owner.mirror.signal,
      owner.local.identity,
      owner.local.registrationId,
      { rotate: true, oneTime, kyber },
      5,
    ),
  );
  const oneTimeKyber = published.kyberPreKeys[0];
  return {
    identityKey: published.identityKey,
    bundle: {
      deviceNumber: owner.address.deviceId(),
      registrationId: published.registrationId,
      signedPrekey: published.signedPreKey!,
      ...(published.oneTimePreKeys[0] ? { ecPrekey: published.oneTimePreKeys[0] } : {}),
      kyberPrekey: { ...(oneTimeKyber ?? published.kyberLastResort!), lastResort: !oneTimeKyber },
    },
  };
}

export const text = (value: string) => new Uint8Array(Buffer.from(value, 'utf8'));
export const read = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

export async function encrypt(from: Device, to: Device, message: string): Promise<CiphertextMessage> {
  const state = from.state();
  const sealed = await signal.signalEncrypt(text(message), to.address, from.address, state, state);
  from.commit(state);
  return sealed;
}

/** Decrypts in a unit of work; `commit` false stands for a process killed before the message was stored. */
export async function decrypt(at: Device, from: Device, sealed: CiphertextMessage, commit = true): Promise<string> {
  const state = at.state();
  const bytes = sealed.serialize();
  const plain =
    sealed.type() === PREKEY_MESSAGE
      ? await signal.signalDecryptPreKey(
          signal.PreKeySignalMessage.deserialize(bytes),
          from.address,
          at.address,
          state,
          state,
          state,
          state,
          state,
        )
      : await signal.signalDecrypt(signal.SignalMessage.deserialize(bytes), from.address, at.address, state, state);
  if (commit) at.commit(state);
  return read(plain);
}

export async function startSession(from: Device, to: Device, bundle = bundleOf(to)): Promise<void> {
  const state = from.state();
  await signal.processPreKeyBundle(
    toPreKeyBundle(signal, bundle.identityKey, bundle.bundle),
    to.address,
    from.address,
    state,
    state,
  );
  from.commit(state);
}
