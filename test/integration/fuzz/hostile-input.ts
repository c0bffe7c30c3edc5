/**
 * Arbitraries and oracles shared by the hostile-input fuzzers: junk text, values of the wrong kind,
 * valid frames, valid frames with one (or a few) fields broken, and envelopes broken the ways a
 * hostile client would break them.
 *
 * Runs are deterministic: every property uses FUZZ_SEED (a fixed default, or the environment
 * variable) so a failure reproduces; fast-check prints the seed, the path and the shrunk
 * counterexample. FUZZ_RUNS_SCALE multiplies every property's number of runs: the long mode
 * (`npm run test:fuzz`, long-run.ts) sets it so the socket fuzzer sends over 100,000 frames.
 */
import fc from 'fast-check';
import { ATTACHMENT_LIMITS } from '../../../sync/protocol/attachments.js';
import { ENVELOPE_LIMITS } from '../../../sync/protocol/envelope-frames.js';
import {
  clientFrameSchema,
  emoji as emojiSchema,
  messageText as messageTextSchema,
  type ClientFrame,
  type Setting,
  type SettingRegister,
} from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { id as idSchema, rid as ridSchema } from '../../../sync/protocol/wire-types.js';
import type { Outgoing } from '../../support/raw-socket.js';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_f00d);
export const FUZZ_RUNS_SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1);

/** A property's time limit, scaled along with its runs. */
export function fuzzTimeout(ms: number): number {
  return Math.max(ms, Math.round(ms * FUZZ_RUNS_SCALE));
}

/** fast-check parameters: the fixed seed and `numRuns` scaled (fast-check prints seed, path and counterexample on failure). */
export function fuzzParams<T>(numRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(numRuns * FUZZ_RUNS_SCALE)) };
}

// ---------------------------------------------------------------------------------------------
// Text

/**
 * Characters that break naive code: control characters, NUL, lone surrogates, byte-order marks,
 * direction overrides, joiners, combining marks, quotes and backslashes, format strings, line
 * separators that JavaScript and JSON disagree on, astral characters and emoji sequences.
 */
export const junkChar: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '\u0000',
    '\u0001',
    '\u001b',
    '\u007f',
    '\u0085',
    '\u00a0',
    '\u00ad',
    '\u0301',
    '\u034f',
    '\u061c',
    '\u200b',
    '\u200d',
    '\u200e',
    '\u202e',
    '\u2028',
    '\u2029',
    '\u2066',
    '\u3000',
    '\ufe0f',
    '\ufeff',
    '\ufffc',
    '\ufffd',
    '\uffff',
    '\\',
    '"',
    "'",
    '`',
    '\n',
    '\r',
    '\t',
    ' ',
    '%s',
    '%n',
    '${x}',
    '{{x}}',
    '<script>',
    '&amp;',
    '../',
    '%00',
    '\ud83d\udc4d',
    '\ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67',
    '\ud83c\uddfa\ud83c\uddf8',
    '\ud835\udd4f',
    'é',
    'e\u0301',
    'ß',
    'İ',
    'ﬃ',
    'Ω',
    '𐐷',
  ),
  // Lone surrogates: legal in a JavaScript string (and in JSON as \uXXXX), not in UTF-8.
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);

export function junkString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: junkChar, ...constraints });
}

/** Ids the protocol accepts (1–64 characters), junk included. */
export const validId: fc.Arbitrary<string> = fc
  .oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: LIMITS.maxIdChars }), junkString({ minLength: 1, maxLength: 24 }))
  .filter((value) => idSchema.safeParse(value).success);

export const validRid: fc.Arbitrary<string> = fc
  .oneof(fc.string({ minLength: 1, maxLength: LIMITS.maxIdChars }), junkString({ minLength: 1, maxLength: 16 }))
  .filter((value) => ridSchema.safeParse(value).success);

/** Message texts a client accepts (it seals them: the server never reads one), from junk to the longest allowed. */
export const validText: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: junkString({ minLength: 1, maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('é', 'x', '\ud83d\udc4d').map((c) => c.repeat(Math.floor(LIMITS.maxMessageChars / c.length))),
    },
  )
  .filter((value) => messageTextSchema.safeParse(value).success);

/** Single emojis of every shape a reaction may be (content: the client checks it, sealed). */
export const validEmoji: fc.Arbitrary<string> = fc
  .constantFrom('👍', '❤️', '😀', '©', '👍🏽', '👩‍👩‍👧‍👦', '👨🏿‍🦰', '🏳️‍🌈', '🇺🇦', '🇯🇵', '#️⃣', '1️⃣', '*⃣', '🫠', '🧑‍🤝‍🧑')
  .filter((value) => emojiSchema.safeParse(value).success);

/** Strings that look a bit like an emoji but are not exactly one. */
const notEmoji = fc.constantFrom(
  'a',
  '1',
  ':+1:',
  '👍👍',
  '👍 ',
  ' 👍',
  '🏻',
  '\u200d',
  '👍\u200d',
  '🇺',
  '🇺🇸🇺',
  '#',
  '1\ufe0f',
  'x👍',
  '\ufe0f',
  '',
);

// ---------------------------------------------------------------------------------------------
// Valid frames

export interface FrameTargets {
  /** Conversation ids to aim at. */
  conversationIds: fc.Arbitrary<string>;
  /** Client ids of envelopes to aim deletes at. */
  envelopeIds: fc.Arbitrary<string>;
  /** Upload ids for envelopes to refer to. */
  uploadIds: fc.Arbitrary<string>;
  /** People to add to groups, remove, give roles, or start a direct conversation with. */
  userIds: fc.Arbitrary<string>;
  /** Usernames for start_conversation and find_user. */
  usernames: fc.Arbitrary<string>;
}

const seqValue = fc.oneof(fc.nat(50), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 32));

const base64Of = (minBytes: number, maxBytes: number) =>
  fc.uint8Array({ minLength: minBytes, maxLength: maxBytes }).map((bytes) => Buffer.from(bytes).toString('base64'));

/** Sealed content the size of a few short messages' seals: base64 of any bytes. */
export const shortSealed: fc.Arbitrary<string> = base64Of(3, 300);
/** The longest sealed content the cap takes: 41,998 to 42,000 bytes all make exactly 56,000 characters of base64. */
export const longestSealed: fc.Arbitrary<string> = base64Of(
  (ENVELOPE_LIMITS.maxCiphertextChars / 4) * 3 - 2,
  (ENVELOPE_LIMITS.maxCiphertextChars / 4) * 3,
);

/** A conversation's devices version as a client names it: mostly small, as they are; refused unless it is the current one. */
export const validDevicesVersion: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 50 }),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
);

/**
 * One valid frame per client frame type of the conversations and the people in them, split by
 * change, conversation and receipt kind, aimed at `targets` (key, inbox, linking and backup frames
 * have their own modules). None pipelines (`after`): the guard would answer it before the rules do.
 */
export function validFrames(targets: FrameTargets): Record<string, fc.Arbitrary<ClientFrame>> {
  const { conversationIds: conversationId, userIds: userId } = targets;
  const groupChange = <C extends object>(change: fc.Arbitrary<C>) =>
    fc.record({ type: fc.constant('group_change' as const), rid: validRid, conversationId, clientChangeId: validId, change });
  return {
    send_envelope: fc.record(
      {
        type: fc.constant('send_envelope' as const),
        rid: validRid,
        conversationId,
        clientId: validId,
        // Short: a mutant of one near the cap (a field set to a long text) would pass the frame limit.
        ciphertext: shortSealed,
        attachments: fc.array(targets.uploadIds, { maxLength: 3 }),
        deletes: targets.envelopeIds,
        devicesVersion: validDevicesVersion,
      },
      { requiredKeys: ['type', 'rid', 'conversationId', 'clientId', 'ciphertext'] },
    ),
    fetch_conversation_devices: fc.record({
      type: fc.constant('fetch_conversation_devices' as const),
      rid: validRid,
      conversationId,
    }),
    'group_change/add_members': groupChange(
      fc.record({ kind: fc.constant('add_members' as const), userIds: fc.array(userId, { minLength: 1, maxLength: 4 }) }),
    ),
    'group_change/remove_member': groupChange(fc.record({ kind: fc.constant('remove_member' as const), userId })),
    'group_change/leave': groupChange(fc.record({ kind: fc.constant('leave' as const) })),
    'group_change/set_role': groupChange(
      fc.record({ kind: fc.constant('set_role' as const), userId, role: fc.constantFrom('admin' as const, 'member' as const) }),
    ),
    'create_conversation/group': fc.record({
      type: fc.constant('create_conversation' as const),
      rid: validRid,
      conversationId,
      conversation: fc.record({
        kind: fc.constant('group' as const),
        memberIds: fc.array(userId, { maxLength: 4 }),
      }),
    }),
    'create_conversation/direct': fc.record({
      type: fc.constant('create_conversation' as const),
      rid: validRid,
      conversationId,
      conversation: fc.record({ kind: fc.constant('direct' as const), userId }),
    }),
    find_user: fc.record({ type: fc.constant('find_user' as const), rid: validRid, username: targets.usernames }),
    typing: fc.record({ type: fc.constant('typing' as const), rid: validRid, conversationId }),
    catch_up: fc.record(
      {
        type: fc.constant('catch_up' as const),
        rid: validRid,
        conversationId,
        afterSeq: seqValue,
        limit: fc.integer({ min: 1, max: LIMITS.maxCatchUpPage }),
        inParts: fc.boolean(),
      },
      { requiredKeys: ['type', 'rid', 'conversationId', 'afterSeq'] },
    ),
    list_conversations: fc.record(
      {
        type: fc.constant('list_conversations' as const),
        rid: validRid,
        after: conversationId,
        limit: fc.integer({ min: 1, max: LIMITS.maxConversationsPage }),
      },
      { requiredKeys: ['type', 'rid'] },
    ),
    start_conversation: fc.record({
      type: fc.constant('start_conversation' as const),
      rid: validRid,
      username: targets.usernames,
    }),
    'receipt/delivered': fc.record({
      type: fc.constant('receipt' as const),
      rid: validRid,
      conversationId,
      kind: fc.constant('delivered' as const),
      seq: seqValue,
    }),
    'receipt/read': fc.record({
      type: fc.constant('receipt' as const),
      rid: validRid,
      conversationId,
      kind: fc.constant('read' as const),
      seq: seqValue,
    }),
    ping: fc.record({ type: fc.constant('ping' as const), rid: validRid }),
    set_settings: fc.record({
      type: fc.constant('set_settings' as const),
      rid: validRid,
      settings: fc.array(validSettingRegister(conversationId), { minLength: 1, maxLength: 4 }),
    }),
    list_settings: fc.record(
      {
        type: fc.constant('list_settings' as const),
        rid: validRid,
        afterVersion: seqValue,
        limit: fc.integer({ min: 1, max: LIMITS.maxSettingsPerFrame }),
      },
      { requiredKeys: ['type', 'rid', 'afterVersion'] },
    ),
  };
}

/** A valid personal setting register: sealed, or about one of `conversationIds` (or, blocked, about anybody; or about oneself). */
export function validSettingRegister(conversationIds: fc.Arbitrary<string>): fc.Arbitrary<SettingRegister> {
  const setting: fc.Arbitrary<Setting> = fc.oneof(
    fc.record({
      kind: fc.constant('sealed' as const),
      key: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      value: fc.uint8Array({ minLength: 3, maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    }),
    fc.record({ kind: fc.constant('blocked' as const), userId: validId, value: fc.boolean() }),
    fc.record({
      kind: fc.constant('request' as const),
      conversationId: conversationIds,
      value: fc.record({ answer: fc.constantFrom('accepted' as const, 'deleted' as const), seq: fc.nat(100) }),
    }),
    fc.record({ kind: fc.constant('show_online' as const), value: fc.constantFrom('everyone' as const, 'nobody' as const) }),
    fc.record({ kind: fc.constant('group_adds' as const), value: fc.constantFrom('everyone' as const, 'contacts' as const) }),
  );
  return fc.record({ setting, at: fc.nat(), by: validId });
}

export function anyOf<T>(arbitraries: Record<string, fc.Arbitrary<T>>): fc.Arbitrary<T> {
  return fc.oneof(...Object.values(arbitraries));
}

// ---------------------------------------------------------------------------------------------
// Envelopes broken the ways a hostile or buggy client would break them

type SendEnvelope = Extract<ClientFrame, { type: 'send_envelope' }>;

/**
 * Base64 the schema refuses: not base64 (or without its padding), of the wrong type, or one
 * character group over `maxChars`. `valid` makes short valid base64 to spoil with junk.
 */
export function badBase64(valid: fc.Arbitrary<string>, maxChars: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(
      '',
      'abc',
      'YWJjZA',
      'YWJjZA=',
      'ab=d',
      '====',
      'YW==YWJj',
      'YWJj ZGVm',
      'YWJj\nZGVm',
      'YWJj-_8=',
      '😀😀',
      '\u0000AAA',
      'AAAA\u0000',
      null,
      12345678,
      ['AAAA'],
    ),
    fc.tuple(valid, junkString({ minLength: 1, maxLength: 4 })).map(([base64, junk]) => base64 + junk),
    fc.constantFrom('A', 'QUJD').map((group) => group.repeat((maxChars + 4) / group.length)),
  );
}
const badSealed = badBase64(shortSealed, ENVELOPE_LIMITS.maxCiphertextChars);
/** Not a devices version: zero, negative, fractional, past the safe integers, a string, nothing. */
const badDevicesVersion: fc.Arbitrary<unknown> = fc.constantFrom(0, -1, 1.5, 2 ** 53, '1', null, [1]);
/** Not an id: empty, one character too long, a lone surrogate, not a string. */
const badId: fc.Arbitrary<unknown> = fc.constantFrom('', 'x'.repeat(LIMITS.maxIdChars + 1), 'id\ud800', '\udc00', 7, null, ['x']);

/**
 * send_envelope frames the schema refuses, as JSON text, each broken in one way: the sealed
 * content, the devices version, an attachment (or too many of them, or not a list), what it
 * deletes, its client id, or what it follows. Built from `frames` (valid, so only the break stands
 * between the frame and being stored).
 */
export function malformedEnvelopeFrames(frames: fc.Arbitrary<SendEnvelope>): fc.Arbitrary<string> {
  const at = fc.nat();
  const withAttachment = (frame: SendEnvelope, index: number, bad: unknown) => {
    const attachments: unknown[] = [...(frame.attachments ?? [])];
    attachments.splice(index % (attachments.length + 1), 0, bad);
    return { ...frame, attachments };
  };
  const broken: Array<fc.Arbitrary<object>> = [
    fc.tuple(frames, badSealed).map(([frame, ciphertext]) => ({ ...frame, ciphertext })),
    frames.map(({ ciphertext: _dropped, ...frame }) => frame),
    fc.tuple(frames, badDevicesVersion).map(([frame, devicesVersion]) => ({ ...frame, devicesVersion })),
    fc.tuple(frames, at, badId).map(([frame, index, bad]) => withAttachment(frame, index, bad)),
    fc
      .tuple(
        frames,
        fc.array(fc.stringMatching(/^[0-9a-f]{32}$/), {
          minLength: ATTACHMENT_LIMITS.maxPerMessage + 1,
          maxLength: ATTACHMENT_LIMITS.maxPerMessage + 3,
        }),
      )
      .map(([frame, attachments]) => ({ ...frame, attachments })),
    fc.tuple(frames, fc.constantFrom('abc', {}, null, 3)).map(([frame, attachments]) => ({ ...frame, attachments })),
    fc.tuple(frames, badId).map(([frame, deletes]) => ({ ...frame, deletes })),
    fc.tuple(frames, badId).map(([frame, clientId]) => ({ ...frame, clientId })),
    frames.map(({ clientId: _dropped, ...frame }) => frame),
    fc.tuple(frames, badId).map(([frame, after]) => ({ ...frame, after })),
  ];
  return fc.oneof(...broken).map((frame) => JSON.stringify(frame));
}

// ---------------------------------------------------------------------------------------------
// Broken frames

/** Written into the JSON text in place of a value: things JSON.stringify would never produce. */
const rawToken: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'NaN',
    'Infinity',
    '-Infinity',
    '1e400',
    '-1e400',
    '-0',
    '0x1F',
    '01',
    '1.',
    '.5',
    '+1',
    'undefined',
    "'x'",
    'True',
    '[1,]',
    '{"a":1,}',
    '"\\x41"',
    '"\\u12"',
    '"tab\there"',
  ),
  // Deeply nested arrays and objects, still well under the frame limit.
  fc.integer({ min: 1, max: 10_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => '{"a":'.repeat(depth) + '0' + '}'.repeat(depth)),
);

/** A value of the wrong kind, size or shape for whatever field it lands in. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    -1,
    -0.5,
    0.5,
    1.5,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    1e308,
    Number.MIN_VALUE,
    LIMITS.maxCatchUpPage + 1,
    LIMITS.maxConversationsPage + 1,
    0,
  ),
  junkString({ maxLength: 20 }),
  // Too long for an id (65+), or for a text (10 001+), in one- and two-unit characters.
  fc
    .tuple(fc.integer({ min: LIMITS.maxIdChars + 1, max: 400 }), fc.constantFrom('x', 'é', '\ud83d\udc4d'))
    .map(([n, c]) => c.repeat(n)),
  fc.integer({ min: LIMITS.maxMessageChars + 1, max: LIMITS.maxMessageChars + 50 }).map((n) => 'y'.repeat(n)),
  fc.constantFrom('', ' ', '\n\t ', '\u00a0', '\u3000', '\ufeff'),
  notEmoji,
  fc.constantFrom(
    'send',
    'change',
    'edit',
    'delete',
    'reaction',
    'delivered',
    'read',
    'seen',
    'SEND',
    ' send',
    'ping\u0000',
    '__proto__',
    'constructor',
    'toString',
  ),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/**
 * Fields worth breaking in `frame`: its own, those of its change and conversation, each id of a
 * list of ids (an envelope's attachments, the people a change names), those of the keys a
 * publish_keys carries, those of a send_to_devices' envelopes, and some it does not have.
 */
function pathsOf(frame: Record<string, unknown>): string[][] {
  const paths = Object.keys(frame).map((key) => [key]);
  for (const key of ['change', 'conversation', 'signedPrekey', 'kyberLastResortPrekey']) {
    const value = frame[key];
    if (typeof value === 'object' && value !== null) paths.push(...Object.keys(value).map((field) => [key, field]));
  }
  const lists: Array<[string[], unknown]> = [
    ...['attachments', 'ecPrekeys', 'kyberPrekeys', 'envelopes'].map((key): [string[], unknown] => [[key], frame[key]]),
    ...['userIds', 'memberIds'].flatMap((field) =>
      ['change', 'conversation'].map((key): [string[], unknown] => [
        [key, field],
        (frame[key] as Record<string, unknown>)?.[field],
      ]),
    ),
  ];
  for (const [path, items] of lists) {
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, index) => {
      if (typeof item === 'object' && item !== null) {
        paths.push(...[...Object.keys(item), 'extra'].map((field) => [...path, String(index), field]));
      } else {
        paths.push([...path, String(index)]);
      }
    });
  }
  paths.push(['extra'], ['__proto__'], ['constructor']);
  return paths;
}

type FieldMutation = { kind: 'drop' } | { kind: 'set'; value: unknown } | { kind: 'raw'; token: string };

const fieldMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'drop' as const }) },
  { weight: 5, arbitrary: hostileValue.map((value) => ({ kind: 'set' as const, value })) },
  { weight: 2, arbitrary: rawToken.map((token) => ({ kind: 'raw' as const, token })) },
);

/** Changes to the JSON text as a whole. */
type TextMutation = 'none' | 'truncate' | 'trailing' | 'duplicate-type' | 'wrap-array' | 'double-encode' | 'bom' | 'comment';
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('none' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<TextMutation>(
      'truncate',
      'trailing',
      'duplicate-type',
      'wrap-array',
      'double-encode',
      'bom',
      'comment',
    ),
  },
);

function applyText(text: string, mutation: TextMutation, cut: number): string {
  switch (mutation) {
    case 'none':
      return text;
    case 'truncate':
      return text.slice(0, Math.min(cut, text.length - 1));
    case 'trailing':
      return `${text} x`;
    case 'duplicate-type':
      return text.replace(/\}$/, ',"type":"nope"}');
    case 'wrap-array':
      return `[${text}]`;
    case 'double-encode':
      return JSON.stringify(text);
    case 'bom':
      return `\ufeff${text}`;
    case 'comment':
      return `/* hi */${text}`;
  }
}

/**
 * A valid frame from `frames` with one to three fields broken (dropped, given a hostile value, or
 * replaced by raw text that is not JSON at all), and sometimes the text itself broken. Includes
 * mutants that happen to stay valid: callers tell them apart with `judge`.
 */
export function brokenFrame(frames: fc.Arbitrary<ClientFrame>): fc.Arbitrary<string> {
  return frames.chain((frame) => {
    const paths = pathsOf(frame);
    return fc
      .tuple(
        fc.array(fc.tuple(fc.constantFrom(...paths), fieldMutation), { minLength: 1, maxLength: 3 }),
        textMutation,
        fc.nat(400),
      )
      .map(([mutations, text, cut]) => {
        const copy = structuredClone(frame) as unknown as Record<string, unknown>;
        const raws = new Map<string, string>();
        for (const [path, mutation] of mutations) {
          // The object holding the field (an earlier mutation may have replaced or dropped it).
          let parent: unknown = copy;
          for (const key of path.slice(0, -1)) {
            parent = typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>)[key] : undefined;
          }
          const key = path.at(-1)!;
          // An array's own entries only (an id in a list), not made-up keys on it.
          if (typeof parent !== 'object' || parent === null || (Array.isArray(parent) && !/^\d+$/.test(key))) continue;
          const target = parent as Record<string, unknown>;
          if (mutation.kind === 'drop') delete target[key];
          else if (mutation.kind === 'set')
            Object.defineProperty(target, key, { value: mutation.value, enumerable: true, writable: true, configurable: true });
          else {
            const sentinel = `\u0000raw${raws.size}\u0000`;
            raws.set(JSON.stringify(sentinel), mutation.token);
            Object.defineProperty(target, key, { value: sentinel, enumerable: true, writable: true, configurable: true });
          }
        }
        let json = JSON.stringify(copy);
        for (const [sentinel, token] of raws) json = json.replace(sentinel, () => token);
        return applyText(json, text, cut);
      });
  });
}

/** Anything at all: JSON of every kind, and text that is almost JSON or not JSON. */
export const arbitraryText: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.anything({ maxDepth: 3 }).map((value) => {
    try {
      return JSON.stringify(value) ?? 'undefined';
    } catch {
      return String(value);
    }
  }),
  fc.string({ maxLength: 200 }),
  junkString({ maxLength: 100 }),
  fc.constantFrom(
    '',
    ' ',
    'null',
    'true',
    '0',
    '""',
    '[]',
    '{}',
    '{',
    '}',
    '{"type":',
    '{"type":"ping"',
    '{"rid":"r"}',
    '{"type":"ping","rid":""}',
  ),
  fc
    .dictionary(
      fc.constantFrom('type', 'rid', 'conversationId', 'clientId', 'ciphertext', 'change', 'seq', 'kind', 'afterSeq', 'username'),
      hostileValue,
      {
        maxKeys: 6,
      },
    )
    .map((value) => JSON.stringify(value)),
);

// ---------------------------------------------------------------------------------------------
// The oracle

/**
 * What the server must answer to a frame the protocol schema refuses: `bad_frame`, carrying the
 * frame's rid when it has a readable one (a string of 1–64 characters) and no rid otherwise.
 * Returns null for a frame that is valid after all (a mutation can land on a harmless value).
 */
export function judge(frame: Outgoing): { rid: string | undefined } | null {
  if (typeof frame !== 'string' && frame.binary) return { rid: undefined };
  const text = typeof frame === 'string' ? frame : frame.data.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { rid: undefined };
  }
  if (clientFrameSchema.safeParse(json).success) return null;
  return { rid: readableRid(json) };
}

function readableRid(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !Object.hasOwn(json, 'rid')) return undefined;
  const rid = (json as { rid: unknown }).rid;
  return typeof rid === 'string' && ridSchema.safeParse(rid).success ? rid : undefined;
}
