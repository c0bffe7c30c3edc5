/**
 * Content, declared on the client: each kind survives sealing and opening, anything else is
 * refused when opened; the rules every receiving device applies; and opened content as the event
 * the mirror has always applied (checked against the applied events' schema).
 */
import { describe, expect, it } from 'vitest';
import { decodeContent, encodeContent, type Content } from '../../../sync/content/content.js';
import { eventOfContent, eventOfDeletedEnvelope } from '../../../sync/content/events.js';
import { appliedEventSchema } from '../../../sync/content/opened-events.js';
import { refuseContent, type ContentSender } from '../../../sync/content/rules.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';

const image = {
  id: 'a'.repeat(32),
  sha256: 'b'.repeat(64),
  // A sealed file of 1234 bytes: its header and one chunk's tag on top.
  size: 1234 + 32 + 16,
  key: Buffer.alloc(32, 7).toString('base64'),
  name: 'beach.jpg',
  mime: 'image/jpeg',
  kind: 'image' as const,
  width: 640,
  height: 480,
};

const EVERY_KIND: Content[] = [
  {
    kind: 'message',
    text: 'look 👀',
    replyTo: 'm0',
    attachments: [image],
    forwardedFrom: { name: 'Ann' },
    linkPreview: { url: 'https://example.org/', title: 'Example', description: '', image: null },
  },
  { kind: 'edit', messageId: 'm1', text: 'look again' },
  { kind: 'delete', messageId: 'm1' },
  { kind: 'reaction', messageId: 'm1', emoji: '👍', on: true },
  { kind: 'pin', messageId: 'm1', on: false },
  { kind: 'rename', name: 'Trip 2027' },
  { kind: 'call', callId: 'c'.repeat(32), media: 'video', outcome: 'completed', durationMs: 192_000 },
  { kind: 'message', text: 'Where to?', poll: { options: ['Lake', 'Hills'], multiple: false } },
  { kind: 'poll_vote', messageId: 'm1', choices: [1] },
  { kind: 'poll_end', messageId: 'm1' },
];

const envelope: EnvelopeEvent = {
  kind: 'envelope',
  conversationId: 'c1',
  seq: 7,
  senderId: 'ann',
  senderDevice: 2,
  clientId: 'e7',
  ciphertext: 'AAAA',
  attachments: [],
  deleted: false,
  sentAt: 1_000,
};

describe('content', () => {
  it('opens every kind as it was sealed', () => {
    for (const content of EVERY_KIND) expect(decodeContent(encodeContent(content))).toEqual(content);
  });

  it('refuses what is not content it knows: another kind, a field out of bounds, a message with nothing in it, not JSON', () => {
    const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
    expect(() => decodeContent(bytes({ kind: 'poll', question: '?' }))).toThrow();
    expect(() => decodeContent(bytes({ kind: 'reaction', messageId: 'm1', emoji: 'ok', on: true }))).toThrow();
    expect(() => decodeContent(bytes({ kind: 'message', text: 'x'.repeat(LIMITS.maxMessageChars + 1) }))).toThrow();
    expect(() => decodeContent(bytes({ kind: 'message', text: '   ' }))).toThrow();
    expect(() => decodeContent(new Uint8Array([0xff, 0x00]))).toThrow();
    // A call's entry: only the outcomes a caller sees, a call id as callers make them, a whole duration.
    const call = { kind: 'call', callId: 'c'.repeat(32), media: 'audio', outcome: 'completed', durationMs: 1_000 };
    expect(() => decodeContent(bytes({ ...call, outcome: 'missed' }))).toThrow();
    expect(() => decodeContent(bytes({ ...call, callId: 'NOT A CALL' }))).toThrow();
    expect(() => decodeContent(bytes({ ...call, durationMs: -1 }))).toThrow();
    expect(() => decodeContent(bytes({ ...call, durationMs: 1.5 }))).toThrow();
    expect(() => decodeContent(bytes({ ...call, media: 'screen' }))).toThrow();
  });

  it('takes a group name as people give it: trimmed, stripped of invisible characters, within its bounds', () => {
    const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
    expect(decodeContent(bytes({ kind: 'rename', name: '  Trip\u200b 2027 ' }))).toEqual({ kind: 'rename', name: 'Trip 2027' });
    expect(() => decodeContent(bytes({ kind: 'rename', name: '   ' }))).toThrow();
    expect(() => decodeContent(bytes({ kind: 'rename', name: 'x'.repeat(LIMITS.maxGroupNameChars + 1) }))).toThrow();
    expect(decodeContent(bytes({ kind: 'rename', name: 'x'.repeat(LIMITS.maxGroupNameChars) }))).toMatchObject({
      kind: 'rename',
    });
  });

  it('refuses a file whose descriptor has no key, a key of the wrong length, or a size no sealed file has', () => {
    const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
    const withFile = (file: object) => bytes({ kind: 'message', text: '', attachments: [file] });
    expect(decodeContent(withFile(image))).toMatchObject({ attachments: [image] });
    const { key: _key, ...keyless } = image;
    expect(() => decodeContent(withFile(keyless))).toThrow();
    expect(() => decodeContent(withFile({ ...image, key: Buffer.alloc(16, 7).toString('base64') }))).toThrow();
    expect(() => decodeContent(withFile({ ...image, key: Buffer.alloc(33, 7).toString('base64') }))).toThrow();
    // Header and tag alone (an empty file), and a length that ends inside a chunk's tag.
    expect(() => decodeContent(withFile({ ...image, size: 32 + 16 }))).toThrow();
    expect(() => decodeContent(withFile({ ...image, size: 32 + 10 }))).toThrow();
  });
});

describe('the rules every receiving device applies', () => {
  const member: ContentSender = { id: 'ben', role: 'member', conversationKind: 'group' };
  const admin: ContentSender = { ...member, role: 'admin' };
  const bensMessage = { authorId: 'ben', deleted: false, senderEmojis: new Set<string>(), poll: null };
  const annsMessage = { ...bensMessage, authorId: 'ann' };

  it('lets anyone write, and only the author edit or delete their message', () => {
    expect(refuseContent(EVERY_KIND[0]!, member, null)).toBeNull();
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'mine now' }, member, annsMessage)).toBe('not_author');
    expect(refuseContent({ kind: 'delete', messageId: 'm1' }, member, annsMessage)).toBe('not_author');
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'fixed' }, member, bensMessage)).toBeNull();
    expect(refuseContent({ kind: 'edit', messageId: 'm9', text: 'fixed' }, member, null)).toBe('no_such_message');
  });

  it('lets only owner and admins pin and rename in a group; in a direct conversation both pin, nobody renames', () => {
    const pin: Content = { kind: 'pin', messageId: 'm1', on: true };
    const rename: Content = { kind: 'rename', name: 'Ours' };
    expect(refuseContent(pin, member, annsMessage)).toBe('not_allowed');
    expect(refuseContent(pin, admin, annsMessage)).toBeNull();
    expect(refuseContent(rename, member, null)).toBe('not_allowed');
    expect(refuseContent(rename, admin, null)).toBeNull();
    const direct: ContentSender = { id: 'ben', role: 'member', conversationKind: 'direct' };
    expect(refuseContent(pin, direct, annsMessage)).toBeNull();
    expect(refuseContent(rename, direct, null)).toBe('not_allowed');
  });

  it('takes no edit of a deleted message, no second delete, and no change to a message it does not have', () => {
    const deleted = { ...bensMessage, deleted: true };
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'again' }, member, deleted)).toBe('message_deleted');
    expect(refuseContent({ kind: 'delete', messageId: 'm1' }, member, deleted)).toBe('already_deleted');
    expect(refuseContent({ kind: 'reaction', messageId: 'm9', emoji: '👍', on: true }, member, null)).toBe('no_such_message');
    expect(refuseContent({ kind: 'pin', messageId: 'm9', on: true }, admin, null)).toBe('no_such_message');
    // Unpinning a deleted message changes nothing and is harmless; pinning one is refused.
    expect(refuseContent({ kind: 'pin', messageId: 'm1', on: false }, admin, deleted)).toBeNull();
    expect(refuseContent({ kind: 'pin', messageId: 'm1', on: true }, admin, deleted)).toBe('message_deleted');
  });

  it('keeps how a call ended only in a direct conversation, and that a group call began only in a group, by anyone in it', () => {
    const call: Content = { kind: 'call', callId: 'c'.repeat(32), media: 'audio', outcome: 'no_answer', durationMs: null };
    const direct = { id: 'ben', role: 'member', conversationKind: 'direct' } as const;
    expect(refuseContent(call, direct, null)).toBeNull();
    expect(refuseContent(call, member, null)).toBe('not_allowed');
    expect(refuseContent(call, { ...member, role: 'owner' }, null)).toBe('not_allowed');
    const began: Content = { ...call, outcome: 'group_started' };
    expect(refuseContent(began, member, null)).toBeNull();
    expect(refuseContent(began, direct, null)).toBe('not_allowed');
  });

  it('caps one person’s reactions on a message, and takes none on a deleted one', () => {
    const full = {
      ...annsMessage,
      senderEmojis: new Set(Array.from({ length: LIMITS.maxReactionsPerPerson }, (_, i) => `e${i}`)),
    };
    expect(refuseContent({ kind: 'reaction', messageId: 'm1', emoji: '🎉', on: true }, member, full)).toBe('too_many_reactions');
    expect(
      refuseContent({ kind: 'reaction', messageId: 'm1', emoji: '🎉', on: true }, member, { ...annsMessage, deleted: true }),
    ).toBe('message_deleted');
  });
});

describe('opened content as the mirror’s events', () => {
  it('gives each kind the event it always had, with what the server attests', () => {
    const events = EVERY_KIND.map((content) => eventOfContent(envelope, content));
    for (const event of events) {
      expect(appliedEventSchema.parse(event)).toEqual(event);
      expect(event).toMatchObject({ conversationId: 'c1', seq: 7, senderId: 'ann', sentAt: 1_000 });
    }
    expect(events.map((event) => event.kind)).toEqual([
      'message',
      'edit',
      'delete',
      'reaction',
      'pin',
      'group_renamed',
      'call_ended',
      'message',
      'message_state',
      'message_state',
    ]);
    expect(events[7]).toMatchObject({ text: 'Where to?', poll: { options: ['Lake', 'Hills'], multiple: false } });
    expect(events[8]).toMatchObject({ clientChangeId: 'e7', messageId: 'm1', state: { kind: 'poll_vote', choices: [1] } });
    expect(events[6]).toMatchObject({ clientChangeId: 'e7', media: 'video', outcome: 'completed', durationMs: 192_000 });
    expect(events[0]).toMatchObject({ clientMessageId: 'e7', replyTo: 'm0', deleted: false, attachments: [image] });
    expect(events[3]).toMatchObject({ clientChangeId: 'e7', messageId: 'm1', emoji: '👍', on: true });
  });

  it('shows an envelope deleted before this device opened it as a deleted message', () => {
    const event = eventOfDeletedEnvelope({ ...envelope, ciphertext: '', deleted: true });
    expect(appliedEventSchema.parse(event)).toEqual(event);
    expect(event).toMatchObject({ kind: 'message', clientMessageId: 'e7', deleted: true, text: '', attachments: [] });
  });
});
