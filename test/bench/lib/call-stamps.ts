/**
 * Where one ring's time goes, with CALLS_STAMPS=1 (as lib/delivery-stamps.ts does for a message):
 * process.hrtime stamps patched around the client cores' stages at run time. One ring is in flight
 * at a time, so the latest stamp of each stage belongs to it. Off by default: nothing is patched.
 *
 * Caller (the benchmark's process): DeviceSender.sendEphemeral entered (the call machine stepped,
 * the signal queued behind earlier ones), its encryption entered, the mirror transaction that
 * stores the ratchet begun and done (the latest one before the send), and the frame handed to the socket (SyncConnection.requestOnce of
 * send_ephemeral returned: the ring sealed, its ratchet stored; the transport writes at the task's end). Callee (lib/call-peer.ts): the push
 * read off the socket, the envelopes handed to EphemeralReceiver, and the call driver handed the
 * opened ring (decrypted; its ratchet is stored after the driver returns); the emit is the peer's own stamp.
 */
import { CallDriver } from '../../../sync/client/calls/call-driver.js';
import { SyncConnection } from '../../../sync/client/connection.js';
import { DeviceSender } from '../../../sync/client/crypto/device-sender.js';
import { EphemeralReceiver } from '../../../sync/client/crypto/ephemeral-receiver.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';

export const CALL_STAMPS_ON = process.env.CALLS_STAMPS === '1';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/** Latest stamp of each stage on this process (nanoseconds). */
export const callStamps: Record<string, bigint> = {};

function around(
  target: object,
  name: string,
  before: string | null,
  after: string | null,
  filter?: (args: unknown[]) => boolean,
): void {
  const holder = target as Record<string, AnyFn>;
  const original = holder[name];
  if (typeof original !== 'function') throw new Error(`call stamps: ${name} is gone`);
  holder[name] = function (this: unknown, ...args: unknown[]) {
    const on = !filter || filter(args);
    if (on && before) callStamps[before] = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      if (on && after) callStamps[after] = process.hrtime.bigint();
    }
  };
}

export function stampCaller(): void {
  if (!CALL_STAMPS_ON) return;
  around(DeviceSender.prototype, 'sendEphemeral', 'a.sending', null);
  around(DeviceSender.prototype, 'encrypt', 'a.encrypting', null);
  around(Mirror.prototype, 'transaction', 'a.storing', 'a.stored');
  const isRing = (args: unknown[]) => (args[0] as { type?: string } | undefined)?.type === 'send_ephemeral';
  around(SyncConnection.prototype, 'requestOnce', null, 'a.written', isRing);
}

export function stampCallee(): void {
  if (!CALL_STAMPS_ON) return;
  const isRing = (args: unknown[]) => typeof args[0] === 'string' && args[0].includes('"type":"ephemeral_push"');
  around(SyncConnection.prototype, 'receive', 'b.received', null, isRing);
  around(EphemeralReceiver.prototype, 'pushed', 'b.receiver', null);
  around(CallDriver.prototype, 'received', 'b.opened', null);
}
