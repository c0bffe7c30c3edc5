import fc from 'fast-check';
import { DEVICE_NAMES, USERNAMES } from './people.js';
import { HEALTHY, type FaultSettings } from './network.js';
import { AddDevice, LinkDevice, LoseDevice, RestoreDevice, UnlinkDevice } from './device-steps.js';
import { AddMembers, CreateGroup, LeaveGroup, RemoveMember, RenameGroup, SetRole } from './group-steps.js';
import {
  Attach,
  Delete,
  Edit,
  EndPoll,
  Forward,
  React,
  Read,
  Reply,
  Send,
  SendPoll,
  SetDisappearing,
  StartConversation,
  Unreact,
  Vote,
} from './person-steps.js';
import { AnswerRequest, Archive, Block, Draft, Mute, Pin, ShowOnline } from './settings-steps.js';
import type { SimCommand } from './step.js';
import {
  Advance,
  Crash,
  CrashNode,
  Cut,
  Flood,
  GoOffline,
  GoOnline,
  LoseNextAck,
  Quit,
  RestartNode,
  RestartServer,
  SetFaults,
  Settle,
  WorkOffline,
} from './world-steps.js';

/** How steps are drawn: which device, which choice, and how often each kind comes up. */

const EMOJIS = ['👍', '❤️', '😂'] as const;

const device = fc.constantFrom(...DEVICE_NAMES);
/** Index into the person's conversations, modulo how many they have (two at first; more with dave and groups). */
const conversation = fc.constantFrom(0, 1, 2, 3, 4, 5);
/** Index into the person's groups, modulo how many they have: mostly their first, so changes race. */
const group = fc.constantFrom(0, 0, 1, 2);
/** Mostly making admins: their changes are the ones a demotion can overtake. */
const role = fc.constantFrom('admin' as const, 'admin' as const, 'member' as const);
/** Some of the world's four people, by bit. */
const people = fc.integer({ min: 1, max: 15 });
/** Whether the device goes offline just before acting (and stays so for a while). */
const offline = fc.constantFrom(false, false, true);
/** A server node, modulo how many the world runs (one to three). */
const node = fc.constantFrom(0, 1, 2);
const downMs = fc.constantFrom(0, 2_000, 40_000);
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const faults: fc.Arbitrary<FaultSettings> = fc.record({
  drop: fc.constantFrom(0, 0, 0.01, 0.05),
  duplicate: fc.constantFrom(0, 0, 0.1, 0.3),
  reorder: fc.constantFrom(0, 0, 0.2, 0.6),
  late: fc.constantFrom(0, 0, 0.05, 0.2),
  minDelayMs: fc.constant(HEALTHY.minDelayMs),
  maxDelayMs: fc.constantFrom(HEALTHY.maxDelayMs, 500, 3_000),
  lateMaxMs: fc.constant(25_000),
  clusterDrop: fc.constantFrom(0, 0, 0.02, 0.1),
  clusterLostNotify: fc.constantFrom(0, 0, 0.02, 0.1),
  clusterMaxDelayMs: fc.constantFrom(HEALTHY.clusterMaxDelayMs, HEALTHY.clusterMaxDelayMs, 500, 3_000),
});
/**
 * A burst from one device: a few messages, or long ones past a catch-up page's byte budget
 * (LIMITS.maxCatchUpBytes), so whoever was away catches up over several pages. (Passing the
 * page's event count, maxCatchUpPage, takes thousands of messages: same code path, far slower.)
 */
const burst = fc.constantFrom({ count: 30, chars: 20 }, { count: 230, chars: 10_000 });
const duration = fc.oneof(
  fc.integer({ min: 1, max: 200 }),
  fc.integer({ min: 200, max: 5_000 }),
  fc.integer({ min: 5_000, max: 60_000 }),
);

/** One step, weighted towards what people do most and towards letting time pass; groups change often enough to race. */
export const stepArbitrary: fc.Arbitrary<SimCommand> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(device, conversation).map(([d, c]) => new Send(d, c)) },
  { weight: 3, arbitrary: fc.tuple(device, conversation).map(([d, c]) => new Attach(d, c)) },
  { weight: 2, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Reply(d, c, f)) },
  {
    weight: 2,
    arbitrary: fc.tuple(device, conversation, fraction, conversation).map(([d, c, f, to]) => new Forward(d, c, f, to)),
  },
  { weight: 3, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Edit(d, c, f)) },
  { weight: 2, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Delete(d, c, f)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(device, conversation, fc.constantFrom(2 as const, 3 as const), fc.boolean())
      .map(([d, c, n, multiple]) => new SendPoll(d, c, n, multiple)),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(device, conversation, fraction, fc.integer({ min: 0, max: 7 }))
      .map(([d, c, f, v]) => new Vote(d, c, f, v)),
  },
  { weight: 1, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new EndPoll(d, c, f)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(device, conversation, fc.constantFrom(0 as const, 1 as const, 2 as const))
      .map(([d, c, t]) => new SetDisappearing(d, c, t)),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(device, conversation, fraction, fc.constantFrom(...EMOJIS)).map(([d, c, f, e]) => new React(d, c, f, e)),
  },
  { weight: 2, arbitrary: fc.tuple(device, conversation, fraction).map(([d, c, f]) => new Unreact(d, c, f)) },
  { weight: 2, arbitrary: fc.tuple(device, conversation).map(([d, c]) => new Read(d, c)) },
  {
    weight: 2,
    arbitrary: fc.tuple(device, conversation, fraction, fc.boolean()).map(([d, c, f, on]) => new Pin(d, c, f, on)),
  },
  { weight: 1, arbitrary: fc.tuple(device, conversation, fc.boolean()).map(([d, c, on]) => new Archive(d, c, on)) },
  { weight: 1, arbitrary: fc.tuple(device, conversation, fc.boolean()).map(([d, c, on]) => new Mute(d, c, on)) },
  {
    weight: 2,
    arbitrary: fc.tuple(device, conversation, fc.constantFrom(false, false, true)).map(([d, c, clear]) => new Draft(d, c, clear)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(device, fc.constantFrom(...USERNAMES), fc.boolean()).map(([d, u, on]) => new Block(d, u, on)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(device, fc.constantFrom('everyone' as const, 'everyone' as const, 'nobody' as const))
      .map(([d, value]) => new ShowOnline(d, value)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(device, fraction, fc.constantFrom('accept' as const, 'accept' as const, 'delete' as const))
      .map(([d, f, answer]) => new AnswerRequest(d, f, answer)),
  },
  { weight: 1, arbitrary: fc.tuple(device, fc.constantFrom(...USERNAMES)).map(([d, u]) => new StartConversation(d, u)) },
  { weight: 2, arbitrary: fc.tuple(device, people, offline).map(([d, p, o]) => new CreateGroup(d, p, o)) },
  { weight: 3, arbitrary: fc.tuple(device, group, offline, people).map(([d, g, o, p]) => new AddMembers(d, g, o, p)) },
  { weight: 3, arbitrary: fc.tuple(device, group, offline, fraction).map(([d, g, o, f]) => new RemoveMember(d, g, o, f)) },
  { weight: 1, arbitrary: fc.tuple(device, group, offline).map(([d, g, o]) => new LeaveGroup(d, g, o)) },
  { weight: 2, arbitrary: fc.tuple(device, group, offline).map(([d, g, o]) => new RenameGroup(d, g, o)) },
  { weight: 4, arbitrary: fc.tuple(device, group, offline, fraction, role).map(([d, g, o, f, r]) => new SetRole(d, g, o, f, r)) },
  { weight: 8, arbitrary: duration.map((ms) => new Advance(ms)) },
  { weight: 1, arbitrary: device.map((d) => new GoOffline(d)) },
  { weight: 1, arbitrary: device.map((d) => new GoOnline(d)) },
  { weight: 1, arbitrary: fc.tuple(device, fc.boolean()).map(([d, on]) => new WorkOffline(d, on)) },
  { weight: 1, arbitrary: device.map((d) => new Crash(d)) },
  { weight: 1, arbitrary: device.map((d) => new Quit(d)) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.boolean(), downMs).map(([clean, down]) => new RestartServer(clean, down)),
  },
  { weight: 2, arbitrary: fc.tuple(node, downMs, fc.boolean()).map(([n, down, same]) => new CrashNode(n, down, same)) },
  { weight: 1, arbitrary: fc.tuple(node, downMs).map(([n, down]) => new RestartNode(n, down)) },
  { weight: 2, arbitrary: faults.map((settings) => new SetFaults(settings)) },
  { weight: 1, arbitrary: device.map((d) => new Cut(d)) },
  {
    weight: 2,
    arbitrary: fc.tuple(device, fc.constantFrom('silent' as const, 'break' as const)).map(([d, m]) => new LoseNextAck(d, m)),
  },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 3).map((u) => new AddDevice(u)) },
  { weight: 1, arbitrary: device.map((d) => new LinkDevice(d)) },
  { weight: 1, arbitrary: device.map((d) => new RestoreDevice(d)) },
  { weight: 1, arbitrary: fc.tuple(device, fraction).map(([d, f]) => new UnlinkDevice(d, f)) },
  { weight: 1, arbitrary: device.map((d) => new LoseDevice(d)) },
  { weight: 1, arbitrary: fc.constant(new Settle()) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(0, 1, 2, 3), conversation, burst).map(([u, c, b]) => new Flood(u, c, b.count, b.chars)),
  },
);
