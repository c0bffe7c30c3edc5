/**
 * A server store that throws, as a database does for a moment (busy, a lost connection), when a
 * test says so: the server answers such a frame with a transient `internal` error.
 */
import type { NewEnvelope, NewMessage, ServerStore } from '../../sync/server/store/server-store.js';

/** `store`, except that appendMessage throws for every message `fails` picks (asked each time). */
export function failingStore(store: ServerStore, fails: (message: NewMessage) => boolean): ServerStore {
  return failingAppends(store, 'appendMessage', (message: NewMessage) => (fails(message) ? message.clientMessageId : null));
}

/**
 * `store`, except that appendEnvelope throws for every envelope `fails` picks (asked each time):
 * what a client core sends is sealed, so a test picks it by its client id, not its text.
 */
export function failingEnvelopes(store: ServerStore, fails: (envelope: NewEnvelope) => boolean): ServerStore {
  return failingAppends(store, 'appendEnvelope', (envelope: NewEnvelope) => (fails(envelope) ? envelope.clientId : null));
}

/** Picks the message with each of `texts` once (its first attempt), then nothing more. */
export function onceForTexts(...texts: string[]): (message: NewMessage) => boolean {
  const left = new Set(texts);
  return (message) => left.delete(message.text);
}

/** Picks the envelope with each of `clientIds` once (its first attempt), then nothing more. */
export function onceForClientIds(...clientIds: string[]): (envelope: NewEnvelope) => boolean {
  const left = new Set(clientIds);
  return (envelope) => left.delete(envelope.clientId);
}

/** `store` with `method` throwing whenever `failure` names what it was given (null: it goes through). */
function failingAppends<Input>(
  store: ServerStore,
  method: 'appendMessage' | 'appendEnvelope',
  failure: (input: Input) => string | null,
): ServerStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== method) return bound;
      return async (input: Input) => {
        const failed = failure(input);
        if (failed !== null) throw new Error(`The store failed for a moment (test): ${failed}`);
        return bound(input);
      };
    },
  });
}
