/**
 * The hand-written check of a ring's call signals must give zod's answer for every value JSON.parse
 * can make: the same signal when it takes one, and zod decides the rest. Fed valid signals of every
 * kind, and each with a field broken, added or taken away.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isHotCallSignal } from '../../../sync/content/call-signal-validator.js';
import { callSignalSchema, decodeCallSignal, encodeCallSignal, type CallSignal } from '../../../sync/content/call-signals.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { asParsed, everySingleChange, mutate, type Json, type Mutation } from '../../support/json-mutations.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0xca11);
const runs = (numRuns: number) => ({ seed: SEED, numRuns });

const callId = fc.stringMatching(/^[0-9a-z]{16,64}$/);
const id = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: LIMITS.maxIdChars }));
const media = fc.constantFrom('audio', 'video');
const forDevice = fc.option(fc.integer({ min: 1, max: 127 }), { nil: undefined });
const withForDevice = <T extends object>(signal: T, device: number | undefined) =>
  device === undefined ? signal : { ...signal, forDevice: device };

/** The signals a ring and its answer carry: the ones checked by hand. */
const ringSignal: fc.Arbitrary<object> = fc.oneof(
  fc.record({ kind: fc.constant('call_offer'), callId, conversationId: id, media }),
  fc
    .tuple(fc.record({ kind: fc.constant('call_answer'), callId, media }), forDevice)
    .map(([signal, device]) => withForDevice(signal, device)),
  fc
    .tuple(fc.record({ kind: fc.constantFrom('call_decline', 'call_busy', 'call_hang_up'), callId }), forDevice)
    .map(([signal, device]) => withForDevice(signal, device)),
  fc.record({ kind: fc.constant('call_handled'), callId, outcome: fc.constantFrom('answered', 'declined') }),
);
/** Signals left to zod: what a call in progress and a group's call say. */
const otherSignal: fc.Arbitrary<object> = fc.oneof(
  fc.record({
    kind: fc.constant('call_sending'),
    callId,
    sending: fc.record({ audio: fc.boolean(), video: fc.boolean(), screen: fc.boolean() }),
  }),
  fc.record({ kind: fc.constant('group_call_leave'), callId, conversationId: id }),
);

const ODD_VALUES: (Json | number)[] = [
  null,
  true,
  0,
  -1,
  1.5,
  128,
  2 ** 53,
  Infinity,
  '',
  'a',
  '\uD800',
  'A'.repeat(16),
  '0123456789abcdef',
  'x'.repeat(65),
  'x'.repeat(LIMITS.maxIdChars + 1),
  'audio',
  'video',
  'answered',
  'call_offer',
  'call_answer',
  'call_hang_up',
  'call_negotiation',
  [],
  {},
];
const mutation: fc.Arbitrary<Mutation> = fc.record({
  container: fc.nat(),
  field: fc.nat(),
  op: fc.constantFrom('delete', 'set', 'set', 'add'),
  value: fc.oneof(fc.constantFrom(...ODD_VALUES), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>),
  key: fc.constantFrom('extra', '__proto__', 'kind', 'forDevice', 'media', 'conversationId', 'outcome'),
});

function expectSameAsZod(value: unknown): void {
  const zod = callSignalSchema.safeParse(value);
  if (isHotCallSignal(value)) {
    expect(zod.success).toBe(true);
    if (zod.success) expect(value).toStrictEqual(zod.data);
  }
}

afterEach(() => vi.restoreAllMocks());

describe('the call signals checked by hand', () => {
  it('takes every valid signal of a ring and its answer without zod, exactly as zod would', () => {
    fc.assert(
      fc.property(ringSignal, (signal) => {
        const bytes = encodeCallSignal(signal as CallSignal);
        const zod = vi.spyOn(callSignalSchema, 'parse');
        const decoded = decodeCallSignal(bytes);
        expect(zod).not.toHaveBeenCalled();
        vi.restoreAllMocks();
        expect(decoded).toStrictEqual(callSignalSchema.parse(asParsed(signal)));
      }),
      runs(500),
    );
  });

  it('leaves the other signals to zod', () => {
    fc.assert(
      fc.property(otherSignal, (signal) => {
        expect(isHotCallSignal(asParsed(signal))).toBe(false);
        expect(decodeCallSignal(encodeCallSignal(signal as CallSignal))).toStrictEqual(callSignalSchema.parse(signal));
      }),
      runs(100),
    );
  });

  it('never takes a signal zod would refuse or change: every field broken, deleted, or one added', () => {
    const samples = fc.sample(ringSignal, { seed: SEED, numRuns: 60 });
    let checked = 0;
    for (const signal of samples) {
      for (const changed of everySingleChange(asParsed(signal), ODD_VALUES)) {
        expectSameAsZod(changed);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('never takes a signal zod would refuse or change: several fields broken, added or taken away', () => {
    fc.assert(
      fc.property(ringSignal, fc.array(mutation, { minLength: 1, maxLength: 3 }), (signal, mutations) =>
        expectSameAsZod(mutate(asParsed(signal), mutations)),
      ),
      runs(3000),
    );
  });

  it('refuses through zod what is not a signal, with zod’s error', () => {
    const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
    expect(() =>
      decodeCallSignal(bytes({ kind: 'call_offer', callId: 'SHOUTING-IS-NOT-AN-ID', conversationId: 'c', media: 'audio' })),
    ).toThrow(/a call id/);
    expect(() => decodeCallSignal(bytes({ kind: 'call_hang_up', callId: '0123456789abcdef', forDevice: 0 }))).toThrow();
    // A field zod drops: taken, without it.
    expect(decodeCallSignal(bytes({ kind: 'call_hang_up', callId: '0123456789abcdef', note: 'x' }))).toStrictEqual({
      kind: 'call_hang_up',
      callId: '0123456789abcdef',
    });
  });
});
