/**
 * Structural equality for the plain data the core returns (JSON-like: primitives, arrays, plain
 * objects). Used instead of hand-written field lists, so a field added to a view later is compared
 * without anyone remembering to: two views are equal exactly when every field, at every depth, is.
 */
export function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(right, key) || !equal(left[key], right[key])) return false;
  }
  return true;
}

/** `previous` when it is structurally equal to `next` (keeps references stable for React). */
export function keep<T>(previous: T, next: T): T {
  return equal(previous, next) ? previous : next;
}

/**
 * `next`, but with the previous object for every item that did not change (matched by `key`), so
 * memoised rows skip rendering when an event re-reads a long list in which one item changed.
 * Returns `previous` itself when nothing at all changed.
 */
export function reuse<T>(previous: readonly T[], next: readonly T[], key: (item: T) => string | number): T[] {
  const byKey = new Map(previous.map((item) => [key(item), item]));
  let same = previous.length === next.length;
  const result = next.map((item, index) => {
    const old = byKey.get(key(item));
    const kept = old !== undefined && equal(old, item) ? old : item;
    if (kept !== previous[index]) same = false;
    return kept;
  });
  return same ? (previous as T[]) : result;
}
