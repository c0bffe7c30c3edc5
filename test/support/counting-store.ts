/**
 * A server store that notes the name of every method called on it, so a test can tell how much of
 * the database a frame cost (nothing, one read, a write).
 */
import type { ServerStore } from '../../sync/server/store/server-store.js';

export function countingStore(store: ServerStore): { store: ServerStore; calls: string[] } {
  const calls: string[] = [];
  const counted = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...args: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, calls };
}
