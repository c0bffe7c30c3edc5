/**
 * Where a call's signal goes once its ephemeral envelope is opened: a group's announcements and
 * the negotiation within the group call joined here to the group call driver, everything else to
 * the one-to-one call driver. A signal meant for another of this person's devices (`forDevice`) or
 * one this client cannot read goes nowhere.
 */
import { errorFields, type Logger } from '../../common/logger.js';
import { decodeCallSignal, isCallSignalFor, type CallSignal } from '../../content/call-signals.js';
import type { CallDriver } from './call-driver.js';
import type { GroupCallDriver } from './group-call-driver.js';

type From = { userId: string; deviceNumber: number };

export function routeCallSignal(
  drivers: { oneToOne: Pick<CallDriver, 'received'>; group: Pick<GroupCallDriver, 'owns' | 'received'> },
  log: Logger,
  from: From,
  plaintext: Uint8Array,
  thisDevice: number,
): void {
  let signal: CallSignal;
  try {
    signal = decodeCallSignal(plaintext);
  } catch (error) {
    log.warn('a call signal could not be read', { sender: `${from.userId}.${from.deviceNumber}`, ...errorFields(error) });
    return;
  }
  if (!isCallSignalFor(signal, thisDevice)) return;
  if (drivers.group.owns(signal)) drivers.group.received(from, signal);
  else drivers.oneToOne.received(from, signal);
}
