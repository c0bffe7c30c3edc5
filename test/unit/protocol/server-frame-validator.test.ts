/**
 * The client's hand-written validator for hot server frames must give zod's answer for every value
 * JSON.parse can make: the same success, the same data, the same error. Fed the same frames, valid
 * ones of every event kind and each with a few fields broken, added or taken away.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ENVELOPE_LIMITS } from '../../../sync/protocol/envelope-frames.js';
import { conversationEventSchema, serverFrameSchema } from '../../../sync/protocol/frames.js';
import { INBOX_LIMITS } from '../../../sync/protocol/inbox-frames.js';
import { ACCOUNT_CAPS, LIMITS } from '../../../sync/protocol/limits.js';
import { hotServerFrame, serverFrameValidator } from '../../../sync/protocol/server-frame-validator.js';
import { asParsed, everySingleChange, mutate, type Json, type Mutation } from '../../support/json-mutations.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x0dd_f1a9);
const RUNS_SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1);
const runs = (numRuns: number) => ({ seed: SEED, numRuns: Math.round(numRuns * RUNS_SCALE) });
const timeout = (ms: number) => Math.max(ms, Math.round(ms * RUNS_SCALE));

// -- valid frames --------------------------------------------------------------------------------

const id = fc.oneof(
  fc.uuid(),
  fc
    .string({ minLength: 1, maxLength: LIMITS.maxIdChars })
    .filter((s) => (s as string & { isWellFormed(): boolean }).isWellFormed()),
);
const seq = fc.integer({ min: 1, max: 2 ** 40 });
const sentAt = fc.integer({ min: -(2 ** 41), max: 2 ** 45 });
/** Names with spaces around them: zod trims a group's name, so such a frame is not taken as it is. */
const groupName = fc.constantFrom('Team', ' Team ', 'Book club', 'a');
const user = fc.record({ id, username: fc.string({ maxLength: 20 }), displayName: fc.string({ maxLength: 20 }) });

const base = { conversationId: id, seq, senderId: id, sentAt };
const envelope = fc
  .record({
    kind: fc.constant('envelope'),
    ...base,
    senderDevice: fc.integer({ min: 1, max: 127 }),
    clientId: id,
    ciphertext: fc.oneof(
      fc.base64String({ maxLength: 200 }),
      fc.constant(''),
      fc.constant('A'.repeat(ENVELOPE_LIMITS.maxCiphertextChars)),
    ),
    attachments: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(id, { maxLength: 2 }) }),
    deleted: fc.boolean(),
    senderRole: fc.option(fc.constantFrom('owner', 'admin', 'member'), { nil: undefined }),
  })
  .map(({ senderRole, ...event }) => (senderRole === undefined ? event : { ...event, senderRole }));
const role = fc.constantFrom('owner', 'admin', 'member');
const membership = fc.oneof(
  fc.record({
    kind: fc.constant('group_created'),
    ...base,
    name: fc.option(groupName, { nil: null }),
    members: fc.array(fc.record({ id, username: fc.string(), displayName: fc.string(), role }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('members_added'),
    ...base,
    clientChangeId: id,
    members: fc.array(user, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('member_removed'), ...base, clientChangeId: id, userId: id }),
  fc.record({ kind: fc.constant('member_left'), ...base, clientChangeId: id, newOwnerId: fc.option(id, { nil: null }) }),
  fc.record({
    kind: fc.constant('role_changed'),
    ...base,
    clientChangeId: id,
    userId: id,
    role: fc.constantFrom('admin', 'member'),
  }),
);
/** The kind the hand-written checks cover: envelopes without files. */
const hotEvent = envelope.map((event) => ({ ...event, attachments: [] }));
const anyEvent = fc.oneof({ weight: 5, arbitrary: envelope }, { weight: 1, arbitrary: membership });

const eventsReply = (event: fc.Arbitrary<object>) =>
  fc.record(
    {
      type: fc.constant('events'),
      rid: fc.string({ minLength: 1, maxLength: LIMITS.maxIdChars }),
      conversationId: id,
      events: fc.array(event, { maxLength: 6 }),
      hasMore: fc.boolean(),
      skippedTo: fc.integer({ min: 0, max: 2 ** 40 }),
      users: fc.array(user, { maxLength: 3 }),
    },
    { requiredKeys: ['type', 'rid', 'conversationId', 'events', 'hasMore', 'users'] },
  );
const eventsPart = (event: fc.Arbitrary<object>) =>
  fc.record({
    type: fc.constant('events_part'),
    rid: fc.string({ minLength: 1, maxLength: LIMITS.maxIdChars }),
    conversationId: id,
    events: fc.array(event, { maxLength: 6 }),
    users: fc.array(user, { maxLength: 3 }),
  });
const sentReply = (event: fc.Arbitrary<object>) =>
  fc.record({ type: fc.constant('sent'), rid: fc.string({ minLength: 1, maxLength: 8 }), event });
const eventPush = (event: fc.Arbitrary<object>) => fc.record({ type: fc.constant('event'), event });
const ephemeralPush = fc.record({
  type: fc.constant('ephemeral_push'),
  envelopes: fc.array(
    fc.record({
      senderUserId: id,
      senderDevice: fc.integer({ min: 1, max: 127 }),
      deviceNumber: fc.integer({ min: 1, max: 127 }),
      kind: fc.constantFrom('prekey', 'whisper'),
      ciphertext: fc.oneof(
        { weight: 9, arbitrary: fc.base64String({ minLength: 4, maxLength: 400 }) },
        { weight: 1, arbitrary: fc.constant('A'.repeat(INBOX_LIMITS.maxCiphertextChars)) },
      ),
      sentAt: fc.integer({ min: 0, max: 2 ** 45 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});
/** Frames the hand-written checks leave to zod altogether. */
const otherFrame = fc.oneof(
  fc.record({ type: fc.constant('ok'), rid: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ type: fc.constant('typing'), conversationId: id, userId: id }),
  fc.record({ type: fc.constant('presence'), userId: id, online: fc.boolean(), lastSeenAt: fc.option(sentAt, { nil: null }) }),
);

const hotFrame = fc.oneof(eventsReply(hotEvent), eventsPart(hotEvent), sentReply(hotEvent), eventPush(hotEvent), ephemeralPush);
const anyFrame = fc.oneof(
  { weight: 3, arbitrary: eventsReply(anyEvent) },
  { weight: 2, arbitrary: eventsPart(anyEvent) },
  { weight: 2, arbitrary: sentReply(anyEvent) },
  { weight: 2, arbitrary: eventPush(anyEvent) },
  { weight: 1, arbitrary: ephemeralPush },
  { weight: 1, arbitrary: otherFrame },
);

// -- broken frames -------------------------------------------------------------------------------

/** Values of the wrong kind or just past a limit, and values valid elsewhere in a frame. */
const ODD_VALUES: (Json | number)[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  Infinity, // JSON.parse('1e400')
  '',
  ' ',
  'a',
  '\uD800',
  'ok\uDFFF',
  'x'.repeat(LIMITS.maxIdChars),
  'x'.repeat(LIMITS.maxIdChars + 1),
  'x'.repeat(LIMITS.maxMessageChars + 1),
  'x'.repeat(LIMITS.maxDisplayNameChars + 1),
  '👍👍',
  [],
  {},
  [{}],
  'message',
  'envelope',
  'owner',
  128,
  0,
  'x'.repeat(ENVELOPE_LIMITS.maxCiphertextChars + 1),
  'group_created',
  'events',
  'events_part',
  'sent',
  'event',
  'welcome',
];
const oddValue: fc.Arbitrary<Json | number> = fc.oneof(
  fc.constantFrom(...ODD_VALUES),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

const mutation: fc.Arbitrary<Mutation> = fc.record({
  container: fc.nat(),
  field: fc.nat(),
  op: fc.constantFrom('delete', 'set', 'set', 'add'),
  value: oddValue,
  key: fc.constantFrom('extra', '__proto__', 'kind', 'type', 'rid', 'forwardedFrom', 'linkPreview', 'skippedTo'),
});

function expectSameAsZod(value: unknown): void {
  const zod = serverFrameSchema.safeParse(value);
  const ours = serverFrameValidator.safeParse(value);
  expect(ours.success).toBe(zod.success);
  if (zod.success && ours.success) expect(ours.data).toStrictEqual(zod.data);
  if (!zod.success && !ours.success) expect(ours.error.issues).toStrictEqual(zod.error.issues);
  // The hand-written checks on their own never take what zod would refuse or change.
  const hot = hotServerFrame(value);
  if (hot !== undefined) {
    expect(zod.success).toBe(true);
    if (zod.success) expect(hot).toStrictEqual(zod.data);
  }
}

afterEach(() => vi.restoreAllMocks());

describe('the hot-frame validator', () => {
  it('takes every valid page of events, acknowledgement, event push of the hot kinds and call signal push by hand, exactly as zod does', () => {
    fc.assert(
      fc.property(hotFrame, (frame) => {
        const value = asParsed(frame);
        const frameZod = vi.spyOn(serverFrameSchema, 'safeParse');
        const eventZod = vi.spyOn(conversationEventSchema, 'safeParse');
        const ours = serverFrameValidator.safeParse(value);
        expect(frameZod).not.toHaveBeenCalled();
        expect(eventZod).not.toHaveBeenCalled();
        vi.restoreAllMocks();
        expect(ours).toStrictEqual(serverFrameSchema.safeParse(value));
      }),
      runs(500),
    );
  });

  it('gives zod’s answer for valid frames of every kind (files, previews, group notices, other frames)', () => {
    fc.assert(
      fc.property(anyFrame, (frame) => expectSameAsZod(asParsed(frame))),
      runs(500),
    );
  });

  it(
    'gives zod’s answer, error included, for every field of a hot frame set to a value of the wrong kind or past a limit, deleted, or one added',
    () => {
      const samples = fc.sample(hotFrame, { seed: SEED, numRuns: Math.round(40 * RUNS_SCALE) });
      let checked = 0;
      for (const frame of samples) {
        for (const changed of everySingleChange(asParsed(frame), ODD_VALUES)) {
          expectSameAsZod(changed);
          checked += 1;
        }
      }
      expect(checked).toBeGreaterThan(1000);
    },
    timeout(20_000),
  );

  it(
    'gives zod’s answer, error included, for frames with several fields broken, added or taken away',
    () => {
      fc.assert(
        fc.property(anyFrame, fc.array(mutation, { minLength: 1, maxLength: 3 }), (frame, mutations) =>
          expectSameAsZod(mutate(asParsed(frame), mutations)),
        ),
        runs(3000),
      );
    },
    timeout(20_000),
  );

  it('takes a call signal pushed to as many devices as an account may have, and leaves one more to zod, which refuses it', () => {
    const envelope = (deviceNumber: number) => ({
      senderUserId: 'u',
      senderDevice: 1,
      deviceNumber,
      kind: 'whisper',
      ciphertext: 'AAAA',
      sentAt: 0,
    });
    const push = (devices: number) => ({
      type: 'ephemeral_push',
      envelopes: Array.from({ length: devices }, (_, i) => envelope(i + 1)),
    });
    const most = push(ACCOUNT_CAPS.maxDevicesPerAccount);
    expect(hotServerFrame(most)).toBe(most);
    expect(hotServerFrame(push(ACCOUNT_CAPS.maxDevicesPerAccount + 1))).toBeUndefined();
    expectSameAsZod(push(ACCOUNT_CAPS.maxDevicesPerAccount + 1));
    expect(serverFrameValidator.safeParse(push(ACCOUNT_CAPS.maxDevicesPerAccount + 1)).success).toBe(false);
  });

  it('leaves to zod what zod would change: a name it trims, a field it drops', () => {
    const created = {
      type: 'event',
      event: {
        kind: 'group_created',
        conversationId: 'c',
        seq: 1,
        senderId: 'u',
        sentAt: 1,
        name: ' Team ',
        members: [{ id: 'u', username: 'u', displayName: 'U', role: 'owner' }],
      },
    };
    expect(serverFrameValidator.safeParse(created)).toStrictEqual({
      success: true,
      data: { ...created, event: { ...created.event, name: 'Team' } },
    });
    const event = {
      kind: 'envelope',
      conversationId: 'c',
      seq: 2,
      senderId: 'u',
      senderDevice: 1,
      clientId: 'e',
      ciphertext: 'AAAA',
      attachments: [],
      deleted: false,
      sentAt: 1,
    };
    const withExtra = { type: 'sent', rid: '1', event: { ...event, note: 'dropped' } };
    expect(serverFrameValidator.safeParse(withExtra)).toStrictEqual({ success: true, data: { ...withExtra, event } });
    expect(serverFrameSchema.safeParse(withExtra)).toStrictEqual({ success: true, data: { ...withExtra, event } });
  });
});
