/**
 * Arbitraries and oracles shared by the hostile-input fuzzers: junk text, values of the wrong kind,
 * valid frames, and valid frames with one (or a few) fields broken.
 *
 * Runs are deterministic: every property uses FUZZ_SEED (a fixed default, or the environment
 * variable) so a failure reproduces; fast-check prints the seed, the path and the shrunk
 * counterexample. FUZZ_RUNS_SCALE multiplies every property's number of runs: the long mode
 * (`npm run test:fuzz`, long-run.ts) sets it so the socket fuzzer sends over 100,000 frames.
 */
import fc from 'fast-check';
import { ATTACHMENT_KINDS, ATTACHMENT_LIMITS, attachmentSchema, type Attachment } from '../../../sync/protocol/attachments.js';
import {
  clientFrameSchema,
  emoji as emojiSchema,
  caption as captionSchema,
  messageText as messageTextSchema,
  sendFrame,
  type ClientFrame,
  type Setting,
  type SettingRegister,
} from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
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

const idSchema = sendFrame.shape.conversationId;
const ridSchema = sendFrame.shape.rid;

/** Ids the protocol accepts (1–64 characters), junk included. */
export const validId: fc.Arbitrary<string> = fc
  .oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: LIMITS.maxIdChars }), junkString({ minLength: 1, maxLength: 24 }))
  .filter((value) => idSchema.safeParse(value).success);

export const validRid: fc.Arbitrary<string> = fc
  .oneof(fc.string({ minLength: 1, maxLength: LIMITS.maxIdChars }), junkString({ minLength: 1, maxLength: 16 }))
  .filter((value) => ridSchema.safeParse(value).success);

/** Message texts the protocol accepts, from junk to the longest allowed. */
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

/** A caption beside attachments: any valid text, or none at all. */
export const validCaption: fc.Arbitrary<string> = fc
  .oneof(validText, fc.constantFrom('', ' ', '\n'))
  .filter((value) => captionSchema.safeParse(value).success);

const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/**
 * Attachments the protocol accepts (names with junk that is still a sanitised name, every kind
 * with the fields it needs), referring to upload ids nobody necessarily uploaded.
 */
export function validAttachment(ids: fc.Arbitrary<string> = hex(32)): fc.Arbitrary<Attachment> {
  const base = {
    id: ids,
    sha256: hex(64),
    size: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(ATTACHMENT_LIMITS.maxFileBytes)),
    name: fc.oneof(
      fc.constantFrom('a.pdf', 'photo.jpg', 'notes', 'é.txt', '👍.png'),
      junkString({ minLength: 1, maxLength: 30 }),
    ),
  };
  const side = fc.integer({ min: 1, max: ATTACHMENT_LIMITS.maxImageSide });
  const byKind: Record<(typeof ATTACHMENT_KINDS)[number], fc.Arbitrary<Attachment>> = {
    file: fc.record({
      ...base,
      mime: fc.constantFrom('application/octet-stream', 'application/pdf', 'text/html', 'image/svg+xml'),
      kind: fc.constant('file' as const),
    }),
    image: fc.record(
      {
        ...base,
        mime: fc.constantFrom('image/png', 'image/jpeg', 'image/gif', 'image/webp'),
        kind: fc.constant('image' as const),
        width: side,
        height: side,
        preview: fc.constantFrom('data:image/webp;base64,UklGRg==', 'data:image/jpeg;base64,/9j/4A=='),
      },
      { requiredKeys: ['id', 'sha256', 'size', 'name', 'mime', 'kind', 'width', 'height'] },
    ),
    voice: fc.record({
      ...base,
      mime: fc.constantFrom('audio/webm', 'audio/ogg'),
      kind: fc.constant('voice' as const),
      durationMs: fc.integer({ min: 0, max: ATTACHMENT_LIMITS.maxDurationMs }),
    }),
  };
  return fc.oneof(...Object.values(byKind)).filter((attachment) => attachmentSchema.safeParse(attachment).success);
}

/** Single emojis of every shape the protocol allows. */
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
  /** Message ids to aim changes and replies at. */
  messageIds: fc.Arbitrary<string>;
  /** Usernames for start_conversation. */
  usernames: fc.Arbitrary<string>;
}

const seqValue = fc.oneof(fc.nat(50), fc.constantFrom(0, Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 32));

/** One valid frame per client frame type, change kind and receipt kind, aimed at `targets`. */
export function validFrames(targets: FrameTargets): Record<string, fc.Arbitrary<ClientFrame>> {
  const { conversationIds: conversationId, messageIds: messageId } = targets;
  const change = <C extends object>(changeArb: fc.Arbitrary<C>) =>
    fc.record({
      type: fc.constant('change' as const),
      rid: validRid,
      conversationId,
      clientChangeId: validId,
      change: changeArb,
    });
  return {
    send: fc.record(
      {
        type: fc.constant('send' as const),
        rid: validRid,
        conversationId,
        clientMessageId: validId,
        text: validText,
        replyTo: messageId,
      },
      { requiredKeys: ['type', 'rid', 'conversationId', 'clientMessageId', 'text'] },
    ),
    'send/attachments': fc.record(
      {
        type: fc.constant('send' as const),
        rid: validRid,
        conversationId,
        clientMessageId: validId,
        text: validCaption,
        replyTo: messageId,
        attachments: fc.array(validAttachment(), { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: ['type', 'rid', 'conversationId', 'clientMessageId', 'text', 'attachments'] },
    ),
    'change/edit': change(fc.record({ kind: fc.constant('edit' as const), messageId, text: validText })),
    'change/delete': change(fc.record({ kind: fc.constant('delete' as const), messageId })),
    'change/reaction': change(
      fc.record({ kind: fc.constant('reaction' as const), messageId, emoji: validEmoji, on: fc.boolean() }),
    ),
    'change/pin': change(fc.record({ kind: fc.constant('pin' as const), messageId, on: fc.boolean() })),
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
    fetch_conversation_devices: fc.record({
      type: fc.constant('fetch_conversation_devices' as const),
      rid: validRid,
      conversationId,
    }),
    // Sealed content is base64 of any bytes; what it deletes is named by client id, like a message.
    send_envelope: fc.record(
      {
        type: fc.constant('send_envelope' as const),
        rid: validRid,
        conversationId,
        clientId: validId,
        ciphertext: fc.uint8Array({ minLength: 3, maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64')),
        attachments: fc.array(validId, { maxLength: 3 }),
        deletes: messageId,
        // Mostly small, as a conversation's devices version is; refused unless it is the current one.
        devicesVersion: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
      },
      { requiredKeys: ['type', 'rid', 'conversationId', 'clientId', 'ciphertext'] },
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
 * Fields worth breaking in `frame`: its own, those of its change and of its attachments, those of
 * the keys a publish_keys carries, those of a send_to_devices' envelopes, and some it does not have.
 */
function pathsOf(frame: Record<string, unknown>): string[][] {
  const paths = Object.keys(frame).map((key) => [key]);
  for (const key of ['change', 'signedPrekey', 'kyberLastResortPrekey']) {
    const value = frame[key];
    if (typeof value === 'object' && value !== null) paths.push(...Object.keys(value).map((field) => [key, field]));
  }
  for (const key of ['attachments', 'ecPrekeys', 'kyberPrekeys', 'envelopes']) {
    const items = frame[key];
    if (!Array.isArray(items)) continue;
    items.forEach((item: object, index) => {
      paths.push(...[...Object.keys(item), 'extra'].map((field) => [key, String(index), field]));
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
          if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) continue;
          const key = path.at(-1)!;
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
      fc.constantFrom('type', 'rid', 'conversationId', 'text', 'change', 'seq', 'kind', 'afterSeq', 'username'),
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
