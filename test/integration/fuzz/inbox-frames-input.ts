/**
 * Device inbox frames (inbox-frames.ts) for the hostile-input fuzzers: one valid arbitrary per
 * frame type, keyed by the type as the schema declares it (inboxFrameTypes() reads them from the
 * schema at run time, so a new inbox frame cannot be left out), and frames broken the ways a
 * hostile or buggy client would break them: ciphertexts that are not base64 or over the cap, two
 * envelopes for one device, device and registration numbers out of range, too many envelopes, and
 * `after`/`ids` that are not envelope ids.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import {
  ENVELOPE_KINDS,
  INBOX_LIMITS,
  inboxClientFrames,
  type OutgoingEnvelope,
  type SendToDevicesFrame,
} from '../../../sync/protocol/inbox-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { badBase64, validId, validRid } from './hostile-input.js';

export type InboxFrameType = (typeof inboxClientFrames)[number]['shape']['type']['value'];
export type InboxFrame = z.infer<(typeof inboxClientFrames)[number]>;

/** The inbox frames' types, read from the schema. */
export function inboxFrameTypes(): string[] {
  return inboxClientFrames.map((frame) => frame.shape.type.value);
}

/**
 * Valid frames stay under a third of the frame limit: the mutants made of them (a field set to a
 * 10 KB text, the whole frame encoded twice) must still be answered, not close the socket.
 */
const VALID_FRAME_BYTES = Math.floor(LIMITS.maxFrameBytes / 3);
export const fitsBudget = (frame: unknown) => Buffer.byteLength(JSON.stringify(frame)) <= VALID_FRAME_BYTES;

const base64Of = (minBytes: number, maxBytes: number) =>
  fc.uint8Array({ minLength: minBytes, maxLength: maxBytes }).map((bytes) => Buffer.from(bytes).toString('base64'));
/** The longest ciphertext the cap takes: 35,998 to 36,000 bytes all make exactly 48,000 characters of base64. */
const longestCiphertext = base64Of((INBOX_LIMITS.maxCiphertextChars / 4) * 3 - 2, (INBOX_LIMITS.maxCiphertextChars / 4) * 3);
const shortCiphertext = base64Of(3, 300);

/** Ciphertexts the protocol takes, from the shortest (4 characters) to exactly the cap. */
export const validCiphertext: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: shortCiphertext },
  { weight: 1, arbitrary: longestCiphertext },
);

export const envelopeKind = fc.constantFrom(...ENVELOPE_KINDS);

/** Envelope ids as the protocol spells them: mostly `known` ones, else any decimal up to 18 digits. */
export function envelopeIds(known: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: known },
    fc.integer({ min: 1, max: 10_000 }).map(String),
    fc.bigInt({ min: 1n, max: 10n ** 18n - 1n }).map(String),
  );
}

export interface InboxTargets {
  /** Whom envelopes go to. */
  userIds: fc.Arbitrary<string>;
  /** What fetch_inbox reads after and ack_inbox acknowledges. */
  envelopeIds: fc.Arbitrary<string>;
}

function envelopeTo(userIds: fc.Arbitrary<string>, ciphertext: fc.Arbitrary<string>): fc.Arbitrary<OutgoingEnvelope> {
  return fc.record({
    userId: userIds,
    deviceNumber: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 127 })),
    registrationId: fc.integer({ min: 1, max: 16_380 }),
    kind: envelopeKind,
    ciphertext,
  });
}

/** Envelopes to distinct devices: a few, or close to the most one frame may carry. */
export function envelopeList(userIds: fc.Arbitrary<string>): fc.Arbitrary<OutgoingEnvelope[]> {
  const device = (envelope: OutgoingEnvelope) => `${envelope.deviceNumber} ${envelope.userId}`;
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.uniqueArray(envelopeTo(userIds, shortCiphertext), { minLength: 1, maxLength: 6, selector: device }),
    },
    {
      weight: 1,
      arbitrary: fc.uniqueArray(envelopeTo(userIds, base64Of(3, 30)), {
        minLength: INBOX_LIMITS.maxEnvelopesPerSend - 10,
        maxLength: INBOX_LIMITS.maxEnvelopesPerSend,
        selector: device,
      }),
    },
  );
}

/** One valid frame per inbox frame type, aimed at `targets`. */
export function validInboxFrames(targets: InboxTargets): Record<InboxFrameType, fc.Arbitrary<InboxFrame>> {
  return {
    send_to_devices: fc
      .record({
        type: fc.constant('send_to_devices' as const),
        rid: validRid,
        clientId: validId,
        envelopes: envelopeList(targets.userIds),
      })
      .filter(fitsBudget),
    fetch_inbox: fc.record(
      {
        type: fc.constant('fetch_inbox' as const),
        rid: validRid,
        after: targets.envelopeIds,
        limit: fc.integer({ min: 1, max: INBOX_LIMITS.maxPage }),
      },
      { requiredKeys: ['type', 'rid'] },
    ),
    ack_inbox: fc.record({
      type: fc.constant('ack_inbox' as const),
      rid: validRid,
      ids: fc.array(targets.envelopeIds, { minLength: 1, maxLength: INBOX_LIMITS.maxPage }),
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Malformed frames

const badCiphertext = badBase64(shortCiphertext, INBOX_LIMITS.maxCiphertextChars);

const badDeviceNumber: fc.Arbitrary<unknown> = fc.constantFrom(0, 128, -1, 1.5, 2 ** 31, '1', null);
const badRegistrationId: fc.Arbitrary<unknown> = fc.constantFrom(0, 16_381, -1, 2.5, '201', null);
const badKind: fc.Arbitrary<unknown> = fc.constantFrom('PREKEY', 'signal', 'sender_key', '', 3, null);
const badUserId: fc.Arbitrary<unknown> = fc.constantFrom('', 'x'.repeat(LIMITS.maxIdChars + 1), 'user\ud800', 7, null);
/** Not an envelope id: zero, a leading zero, a sign, an exponent, spaces, 19 digits, other digits, a number. */
const notEnvelopeId: fc.Arbitrary<unknown> = fc.constantFrom(
  '0',
  '01',
  '-1',
  '+1',
  '1e3',
  ' 1',
  '1 ',
  '1.0',
  '0x10',
  '1234567890123456789',
  '١٢',
  '',
  5,
  null,
);

/** `frame`'s envelopes with the one at `at` changed by `change`. */
function withEnvelope(frame: SendToDevicesFrame, at: number, change: (envelope: OutgoingEnvelope) => object): object {
  const index = at % frame.envelopes.length;
  return { ...frame, envelopes: frame.envelopes.map((envelope, i) => (i === index ? change(envelope) : envelope)) };
}

/**
 * Inbox frames the schema refuses, as JSON text, each broken in one way: send_to_devices built from
 * `envelopes` (well-formed, so that only the break stands between the frame and being stored),
 * fetch_inbox and ack_inbox around `envelopeIds`.
 */
export function malformedInboxFrames(
  envelopes: fc.Arbitrary<OutgoingEnvelope>,
  envelopeIdsToUse: fc.Arbitrary<string>,
): fc.Arbitrary<string> {
  const send = fc
    .record({
      rid: validRid,
      clientId: validId,
      envelopes: fc.uniqueArray(envelopes, {
        minLength: 1,
        maxLength: 4,
        selector: (envelope) => `${envelope.deviceNumber} ${envelope.userId}`,
      }),
    })
    .map((fields): SendToDevicesFrame => ({ type: 'send_to_devices', ...fields }));
  const at = fc.nat();
  const broken: Array<fc.Arbitrary<object>> = [
    fc.tuple(send, at, badCiphertext).map(([frame, i, ciphertext]) => withEnvelope(frame, i, (e) => ({ ...e, ciphertext }))),
    fc
      .tuple(send, at, badDeviceNumber)
      .map(([frame, i, deviceNumber]) => withEnvelope(frame, i, (e) => ({ ...e, deviceNumber }))),
    fc
      .tuple(send, at, badRegistrationId)
      .map(([frame, i, registrationId]) => withEnvelope(frame, i, (e) => ({ ...e, registrationId }))),
    fc.tuple(send, at, badKind).map(([frame, i, kind]) => withEnvelope(frame, i, (e) => ({ ...e, kind }))),
    fc.tuple(send, at, badUserId).map(([frame, i, userId]) => withEnvelope(frame, i, (e) => ({ ...e, userId }))),
    // Two envelopes for one device, with the same ciphertext or another.
    fc.tuple(send, at, fc.option(shortCiphertext, { nil: undefined })).map(([frame, i, ciphertext]) => {
      const twin = frame.envelopes[i % frame.envelopes.length]!;
      return { ...frame, envelopes: [...frame.envelopes, { ...twin, ...(ciphertext ? { ciphertext } : {}) }] };
    }),
    send.map((frame) => ({ ...frame, envelopes: [] })),
    // One envelope too many (to every device number of a person, then to others), each of them small.
    send.map((frame) => {
      const template = frame.envelopes[0]!;
      const many = Array.from({ length: INBOX_LIMITS.maxEnvelopesPerSend + 1 }, (_, i) => ({
        ...template,
        userId: i < 127 ? template.userId : `${template.userId.slice(0, 40)}-${i}`,
        deviceNumber: (i % 127) + 1,
        ciphertext: 'AAAA',
      }));
      return { ...frame, envelopes: many };
    }),
    send.map(({ clientId: _dropped, ...frame }) => frame),
    fc.record({ type: fc.constant('fetch_inbox'), rid: validRid, after: notEnvelopeId }),
    fc.record({
      type: fc.constant('fetch_inbox'),
      rid: validRid,
      after: envelopeIdsToUse,
      limit: fc.constantFrom(0, INBOX_LIMITS.maxPage + 1, 1.5, -1, '10', null),
    }),
    fc.record({ type: fc.constant('ack_inbox'), rid: validRid, ids: fc.constantFrom([], '1', null) }),
    fc.record({
      type: fc.constant('ack_inbox'),
      rid: validRid,
      ids: fc.array(envelopeIdsToUse, { minLength: INBOX_LIMITS.maxPage + 1, maxLength: INBOX_LIMITS.maxPage + 3 }),
    }),
    fc
      .tuple(validRid, fc.array(envelopeIdsToUse, { maxLength: 5 }), notEnvelopeId, at)
      .map(([rid, ids, bad, i]) => ({ type: 'ack_inbox', rid, ids: (ids as unknown[]).toSpliced(i % (ids.length + 1), 0, bad) })),
  ];
  return fc.oneof(...broken).map((frame) => JSON.stringify(frame));
}
