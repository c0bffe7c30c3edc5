/**
 * Values as JSON.parse could make them, changed a field at a time: for the tests that hold a
 * hand-written validator to zod's answer (server frames, call signals).
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type Mutation = { container: number; field: number; op: 'delete' | 'set' | 'add'; value: Json | number; key: string };

/** Every object and array in the value, the value itself first. */
function containers(value: unknown): (Record<string, unknown> | unknown[])[] {
  if (typeof value !== 'object' || value === null) return [];
  const inner = Array.isArray(value) ? value : Object.values(value);
  return [value as Record<string, unknown> | unknown[], ...inner.flatMap(containers)];
}

/** Sets, deletes or adds a field as JSON.parse could have made it (an own "__proto__" key too). */
function apply(target: Record<string, unknown> | unknown[], op: Mutation['op'], field: number, key: string, odd: unknown): void {
  // A copy: the same value put in twice must not become a cycle when it is mutated in turn.
  const value = structuredClone(odd);
  if (Array.isArray(target)) {
    if (op === 'delete') target.splice(field % Math.max(1, target.length), 1);
    else if (op === 'add' || target.length === 0) target.push(value);
    else target[field % target.length] = value;
    return;
  }
  const keys = Object.keys(target);
  const chosen = op === 'add' || keys.length === 0 ? key : keys[field % keys.length]!;
  if (op === 'delete') delete target[chosen];
  else Object.defineProperty(target, chosen, { value, enumerable: true, writable: true, configurable: true });
}

export function mutate(frame: unknown, mutations: Mutation[]): unknown {
  for (const { container, field, op, value, key } of mutations) {
    const all = containers(frame);
    apply(all[container % all.length]!, op, field, key, value);
  }
  return frame;
}

/** The frame with one field set to `value`, for every field of every object and array in it. */
export function* everySingleChange(frame: unknown, values: readonly unknown[]): Generator<unknown> {
  const count = containers(frame).length;
  for (let container = 0; container < count; container += 1) {
    const fields = Math.max(1, Object.keys(containers(frame)[container]!).length);
    for (let field = 0; field < fields; field += 1) {
      for (const op of ['delete', 'add'] as const) {
        const copy = structuredClone(frame);
        apply(containers(copy)[container]!, op, field, 'extra', null);
        yield copy;
      }
      for (const value of values) {
        const copy = structuredClone(frame);
        apply(containers(copy)[container]!, 'set', field, 'extra', value);
        yield copy;
      }
    }
  }
}

/** What JSON.parse makes of the value (keeping the odd numbers JSON text can still produce, e.g. 1e400). */
export function asParsed(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => (v === Infinity ? '__inf__' : v)),
    (_key, v: unknown) => (v === '__inf__' ? Infinity : v),
  );
}
