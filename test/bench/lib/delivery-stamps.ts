/**
 * Where one delivery's time goes, with DELIVERY_STAMPS=1: process.hrtime stamps (the same clock in
 * every process) patched around the client core's stages at run time, on A (the sender, the
 * benchmark's process) and on B (the receiver, delivery-peer.ts). One message is in flight at a
 * time, so the latest stamp of each stage belongs to it. Off by default: nothing is patched.
 */
import { SyncConnection } from '../../../sync/client/connection.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { OutboxSender } from '../../../sync/client/outbox-sender.js';
import { SenderKeys } from '../../../sync/client/crypto/sender-keys.js';
import { serverFrameValidator } from '../../../sync/protocol/server-frame-validator.js';

export const STAMPS_ON = process.env.DELIVERY_STAMPS === '1';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/** Latest stamp of each stage (nanoseconds, as bigint) on this process. */
export const stamps: Record<string, bigint> = {};

function around(
  target: object,
  name: string,
  before: string | null,
  after: string | null,
  filter?: (args: unknown[]) => boolean,
): void {
  const holder = target as Record<string, AnyFn>;
  const original = holder[name];
  if (typeof original !== 'function') throw new Error(`delivery stamps: ${name} is gone`);
  holder[name] = function (this: unknown, ...args: unknown[]) {
    const on = !filter || filter(args);
    if (on && before) stamps[before] = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      if (on && after) stamps[after] = process.hrtime.bigint();
    }
  };
}

/**
 * A: queueAndSend entered, the seal begun in the crypto lane (a text alone is sealed before it is
 * written), the message and its outbox row written in the seal's transaction (enqueueMessage: the
 * seal and the checks before it are the span ahead), the rows due picked, the commit, the envelope
 * requested, the last flush (the acknowledgement's, once it came); sendMessage's return is the caller's.
 */
export function stampSender(): void {
  if (!STAMPS_ON) return;
  around(OutboxSender.prototype, 'queueAndSend', 'a.compose', null);
  around(SenderKeys.prototype, 'seal', 'a.sealing', null);
  around(Mirror.prototype, 'enqueueMessage', 'a.enqueue', 'a.enqueued');
  around(OutboxSender.prototype, 'dueRows', null, 'a.due');
  around(OutboxSender.prototype, 'launch', 'a.committed', null);
  around(OutboxSender.prototype, 'request', 'a.requested', null);
  around(SyncConnection.prototype, 'flush', null, 'a.written');
}

/** Forgets this process's stamps: a send that skips a stage (sealed already) shows no stale one. */
export function clearStamps(): void {
  for (const key of Object.keys(stamps)) delete stamps[key];
}

/** B: the push frame received, validated, applied (committed). Emit is the peer's own stamp. */
export function stampReceiver(): void {
  if (!STAMPS_ON) return;
  const isEvent = (args: unknown[]) => typeof args[0] === 'string' && args[0].includes('"type":"event"');
  around(SyncConnection.prototype, 'receive', 'b.received', null, isEvent);
  around(serverFrameValidator, 'safeParse', null, 'b.validated');
  around(Mirror.prototype, 'applyEvents', 'b.applying', 'b.applied');
}

export function snapshot(): Record<string, string> {
  return Object.fromEntries(Object.entries(stamps).map(([key, value]) => [key, String(value)]));
}
