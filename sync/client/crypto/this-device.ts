/**
 * This device as its Signal sessions know it: the account's identity, this device's registration
 * id and its protocol address (the account's user id and the device number the server gave it).
 * Every unit of ratchet work (an encryption, a decryption) runs in the one CryptoLane, because two
 * at once would each advance a session from the same stored state and reuse a message key.
 */
import type { ProtocolAddress } from '@signalapp/libsignal-client';
import type { Runtime } from '../../common/runtime.js';
import type { Mirror } from '../mirror/mirror.js';
import type { LocalIdentity } from './key-publisher.js';
import { HydratedRecords } from './hydrated-records.js';
import { newRegistrationId } from './prekeys.js';
import { RatchetState } from './ratchet-state.js';
import type { SignalLibrary } from './signal-library.js';

export interface ThisDevice {
  signal: SignalLibrary;
  address: ProtocolAddress;
  /** A fresh unit of ratchet work over the mirror's tables (see RatchetState). */
  ratchet(): RatchetState;
  /** Whether a sender key under this device's address is an earlier device's, restored here (SettingsStore.inheritSenderKeys). */
  inheritedKey(distributionId: string): boolean;
}

export async function thisDevice(
  mirror: Mirror,
  runtime: Runtime,
  localIdentity: () => Promise<LocalIdentity | null>,
  selfId: string,
  deviceNumber: number,
): Promise<ThisDevice | null> {
  const local = await localIdentity();
  return local && deviceOf(mirror, runtime, local, selfId, deviceNumber);
}

/**
 * thisDevice, made again only when the device number or the identity changes: reading the keys
 * and the registration id for every unit of ratchet work (each live envelope) cost more than the
 * decrypt itself.
 */
export function heldDevice(
  mirror: Mirror,
  runtime: Runtime,
  localIdentity: () => Promise<LocalIdentity | null>,
  selfId: string,
): (deviceNumber: number) => Promise<ThisDevice | null> {
  let held: { deviceNumber: number; local: LocalIdentity; device: ThisDevice } | null = null;
  return async (deviceNumber) => {
    const local = await localIdentity();
    if (!local) return null;
    if (held?.deviceNumber !== deviceNumber || held.local !== local) {
      held = { deviceNumber, local, device: deviceOf(mirror, runtime, local, selfId, deviceNumber) };
    }
    return held.device;
  };
}

function deviceOf(mirror: Mirror, runtime: Runtime, local: LocalIdentity, selfId: string, deviceNumber: number): ThisDevice {
  const { signal, identity } = local;
  const registrationId = mirror.signal.ensureRegistrationId(newRegistrationId(() => runtime.random.next()));
  const hydrated = new HydratedRecords(signal);
  return {
    signal,
    address: signal.ProtocolAddress.new(selfId, deviceNumber),
    ratchet: () => new RatchetState(signal, mirror.signal, { identity, registrationId }, () => runtime.clock.now(), hydrated),
    inheritedKey: (distributionId) => mirror.settings.inheritedSenderKey(distributionId),
  };
}

/** Runs units of ratchet work one after another, in the order they were asked for. */
export class CryptoLane {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Whether no unit of work is running or waiting. */
  get idle(): boolean {
    return this.queued === 0;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    this.queued += 1;
    const next = this.tail.then(work, work);
    const done = () => {
      this.queued -= 1;
    };
    this.tail = next.then(done, done);
    return next;
  }
}
