import fc from 'fast-check';
import { DEVICE_NAMES, USERNAMES } from './people.js';
import { HEALTHY, type FaultSettings } from './network.js';
import { Delete, Edit, React, Read, Reply, Send, StartConversation, Unreact } from './person-steps.js';
import type { SimCommand } from './step.js';
import { Advance, Crash, Cut, Flood, GoOffline, GoOnline, LoseNextAck, Quit, RestartServer, SetFaults, Settle } from './world-steps.js';

/** How steps are drawn: which device, which choice, and how often each kind comes up. */

const EMOJIS = ['👍', '❤️', '😂'] as const;

const device = fc.constantFrom(...DEVICE_NAMES);
/** Index into the person's conversations, modulo how many they have (two at first; more with dave). */
const conversation = fc.constantFrom(0, 1, 2, 3);
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const faults: fc.Arbitrary<FaultSettings> = fc.record({
  drop: fc.constantFrom(0, 0, 0.01, 0.05),
  duplicate: fc.constantFrom(0, 0, 0.1, 0.3),
  reorder: fc.constantFrom(0, 0, 0.2, 0.6),
  late: fc.constantFrom(0, 0, 0.05, 0.2),
  minDelayMs: fc.constant(HEALTHY.minDelayMs),
  maxDelayMs: fc.constantFrom(HEALTHY.maxDelayMs, 500, 3_000),
  lateMaxMs: fc.constant(25_000),
});
/**
 * A tablet's burst: a few messages, or long ones past a catch-up page's byte budget
 * (LIMITS.maxCatchUpBytes), so whoever was away catches up over several pages. (Passing the
 * page's event count, maxCatchUpPage, takes thousands of messages: same code path, far slower.)
 */
const burst = fc.constantFrom({ count: 30, chars: 20 }, { count: 230, chars: 10_000 });
const duration = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 5_000 }), fc.integer({ min: 5_000, max: 60_000 }));

/** One step, weighted towards what people do most and towards letting time pass. */
export const stepArbitrary: fc.Arbitrary<SimCommand> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(device, conversation).map(([d, c]) => new Send(d, c)) },
  { weight: 2, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Reply(d, c, f)) },
  { weight: 3, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Edit(d, c, f)) },
  { weight: 2, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Delete(d, c, f)) },
  { weight: 3, arbitrary: fc.tuple(device, conversation, fraction, fc.constantFrom(...EMOJIS)).map(([d, c, f, e]) => new React(d, c, f, e)) },
  { weight: 2, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Unreact(d, c, f)) },
  { weight: 2, arbitrary: fc.tuple(device, conversation).map(([d, c]) => new Read(d, c)) },
  { weight: 1, arbitrary: fc.tuple(device, fc.constantFrom(...USERNAMES)).map(([d, u]) => new StartConversation(d, u)) },
  { weight: 8, arbitrary: duration.map((ms) => new Advance(ms)) },
  { weight: 1, arbitrary: device.map((d) => new GoOffline(d)) },
  { weight: 1, arbitrary: device.map((d) => new GoOnline(d)) },
  { weight: 1, arbitrary: device.map((d) => new Crash(d)) },
  { weight: 1, arbitrary: device.map((d) => new Quit(d)) },
  { weight: 1, arbitrary: fc.tuple(fc.boolean(), fc.constantFrom(0, 2_000, 40_000)).map(([clean, down]) => new RestartServer(clean, down)) },
  { weight: 2, arbitrary: faults.map((settings) => new SetFaults(settings)) },
  { weight: 1, arbitrary: device.map((d) => new Cut(d)) },
  { weight: 2, arbitrary: fc.tuple(device, fc.constantFrom('silent' as const, 'break' as const)).map(([d, m]) => new LoseNextAck(d, m)) },
  { weight: 1, arbitrary: fc.constant(new Settle()) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 3), conversation, burst).map(([u, c, b]) => new Flood(u, c, b.count, b.chars)) },
);
