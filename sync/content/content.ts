/**
 * What people say in a conversation, declared once, on the client (docs/e2ee-design.md): the
 * content a conversation envelope (protocol/envelope-frames.ts) seals. The server never sees it
 * and knows none of its kinds. A new kind of content is declared here, judged in rules.ts and
 * turned into what the mirror stores in events.ts; the server, its stores and the outbox do not
 * change for it.
 *
 * Messages are named by the client id of the envelope that carried them (the author's), so an
 * edit, a reaction or a reply can name a message composed offline.
 */
import { z } from 'zod';
import { sealedAttachmentsSchema } from '../protocol/attachments.js';
import { callOutcomeSchema, MAX_CALL_DURATION_MS } from '../common/call-entry.js';
import { callIdSchema, callMediaSchema } from '../common/call-negotiation.js';
import { caption, emoji, forwardedFromSchema, linkPreviewSchema, messageText, newGroupName } from '../protocol/frames.js';
import { id as messageId } from '../protocol/wire-types.js';
import { pollDefinitionSchema, pollQuestion } from '../common/polls.js';
import { locationDefinitionSchema, placeName } from '../common/locations.js';
import { isStickerFiles, stickerDefinitionSchema } from '../common/stickers.js';
import { messageStateContentSchema } from './kinds/message-state.js';
import { disappearingContentSchema } from './disappearing.js';
import { disappearingTimerMs } from '../protocol/disappearing.js';

/** An edit, a delete for everyone, a reaction or a pin: content that changes a message, named by its id. */
export const changeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('edit'), messageId, text: messageText }),
  z.object({ kind: z.literal('delete'), messageId }),
  z.object({ kind: z.literal('reaction'), messageId, emoji, on: z.boolean() }),
  z.object({ kind: z.literal('pin'), messageId, on: z.boolean() }),
]);
export type Change = z.infer<typeof changeSchema>;

/** A group's new name: content, sealed, so the server never reads it. */
export const renameSchema = z.object({ kind: z.literal('rename'), name: newGroupName });

/**
 * A call's entry in the conversation's log, written by the caller's device when the call ends
 * (common/call-entry.ts): sealed like everything said there, so the server never reads it.
 */
export const callContentSchema = z.object({
  kind: z.literal('call'),
  callId: callIdSchema,
  media: callMediaSchema,
  outcome: callOutcomeSchema,
  /** How long it was connected; null when it never was. */
  durationMs: z.number().int().min(0).max(MAX_CALL_DURATION_MS).nullable(),
});
export type CallContent = z.infer<typeof callContentSchema>;

/** A message: its text (or the caption of its files), what it replies to, its files, a forward's author, a link's preview. */
export const messageContentSchema = z
  .object({
    kind: z.literal('message'),
    text: caption,
    replyTo: messageId.optional(),
    attachments: sealedAttachmentsSchema.optional(),
    /** A forward names whom it copies, as the forwarding device knew them. */
    forwardedFrom: forwardedFromSchema.optional(),
    linkPreview: linkPreviewSchema.optional(),
    /** A poll: its text is the question (common/polls.ts). */
    poll: pollDefinitionSchema.optional(),
    /** A location: its text is the place name, possibly empty; its one image, if any, the map snapshot (common/locations.ts). */
    location: locationDefinitionSchema.optional(),
    /** A sticker: no text, its files the sticker and its pack's bundle (common/stickers.ts). */
    sticker: stickerDefinitionSchema.optional(),
    /** The disappearing-message timer its author saw when writing it (disappearing.ts). */
    expiresInMs: disappearingTimerMs.optional(),
  })
  .refine(
    (message) => message.text.trim().length > 0 || (message.attachments?.length ?? 0) > 0 || message.location !== undefined,
    'a message needs text or at least one attachment',
  )
  .refine(
    (message) => !message.poll || (pollQuestion.safeParse(message.text).success && !message.attachments?.length),
    'a poll is a question of its own, without files',
  )
  .refine(
    (message) =>
      !message.location ||
      (!message.poll && placeName.safeParse(message.text).success && (message.attachments?.length ?? 0) <= 1),
    'a location is a place name and at most its snapshot',
  )
  .refine(
    (message) =>
      !message.sticker ||
      (message.text === '' && !message.poll && !message.location && !message.linkPreview && isStickerFiles(message.attachments)),
    'a sticker is only its sticker and its pack',
  );
export type MessageContent = z.infer<typeof messageContentSchema>;

/**
 * Every kind of content: a message, a change to one, a group's new name, a call's entry, what
 * changes a message's state (kinds/message-state.ts: a vote, a poll's end), and the conversation's
 * disappearing-message timer and who may set it (disappearing.ts).
 */
export const contentSchema = z.union([
  messageContentSchema,
  changeSchema,
  renameSchema,
  callContentSchema,
  ...messageStateContentSchema.options,
  ...disappearingContentSchema.options,
]);
export type Content = z.infer<typeof contentSchema>;
export type ContentKind = Content['kind'];

/** What opened of a run of a conversation's envelopes, by seq. */
export type OpenedContent = ReadonlyMap<number, Content>;

/** Content as it is sealed: its JSON, as UTF-8. */
export function encodeContent(content: Content): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(JSON.stringify(content), 'utf8'));
}

/** Opened content, checked against its schema; throws when it is not content this client knows. */
export function decodeContent(bytes: Uint8Array): Content {
  return contentSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')));
}
