/**
 * A server store that throws, as a database does for a moment (busy, a lost connection), when a
 * test says so: the server answers such a frame with a transient `internal` error.
 */
import type { NewMessage, ServerStore } from '../../sync/server/store/server-store.js';

/** `store`, except that appendMessage throws for every message `fails` picks (asked each time). */
export function failingStore(store: ServerStore, fails: (message: NewMessage) => boolean): ServerStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'appendMessage') {
        return async (message: NewMessage) => {
          if (fails(message)) throw new Error(`The store failed for a moment (test): ${message.clientMessageId}`);
          return target.appendMessage(message);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Picks the message with each of `texts` once (its first attempt), then nothing more. */
export function onceForTexts(...texts: string[]): (message: NewMessage) => boolean {
  const left = new Set(texts);
  return (message) => left.delete(message.text);
}
