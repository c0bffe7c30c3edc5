/**
 * A server store that throws, as a database does for a moment (busy, a lost connection), when a
 * test says so: the server answers such a frame with a transient `internal` error.
 */
import type { NewEnvelope, ServerStore } from '../../sync/server/store/server-store.js';

/**
 * `store`, except that appendEnvelope throws for every envelope `fails` picks (asked each time):
 * what a client sends is sealed, so a test picks it by its client id (onceForClientIds).
 */
export function failingEnvelopes(store: ServerStore, fails: (envelope: NewEnvelope) => boolean): ServerStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== 'appendEnvelope') return bound;
      return async (envelope: NewEnvelope) => {
        if (fails(envelope)) throw new Error(`The store failed for a moment (test): ${envelope.clientId}`);
        return bound(envelope);
      };
    },
  });
}

/** Picks the envelope with each of `clientIds` once (its first attempt), then nothing more. */
export function onceForClientIds(...clientIds: string[]): (envelope: NewEnvelope) => boolean {
  const left = new Set(clientIds);
  return (envelope) => left.delete(envelope.clientId);
}
