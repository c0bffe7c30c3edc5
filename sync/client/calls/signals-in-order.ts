import type { CallSignal } from '../../content/call-signals.js';

export type SendCallSignal = (userIds: readonly string[], signal: CallSignal) => Promise<void>;

/**
 * Sends a call's signals one after another, so every device reads them in the order they were
 * made (an answer after the offer it answers); one that fails holds up none after it.
 */
export function signalsInOrder(send: SendCallSignal): SendCallSignal {
  let last: Promise<void> = Promise.resolve();
  return (userIds, signal) => {
    const sent = last.then(() => send(userIds, signal));
    last = sent.catch(() => undefined);
    return sent;
  };
}
