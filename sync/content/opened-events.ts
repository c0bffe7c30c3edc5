/**
 * Opened content as the mirror applies it: an envelope's content (content.ts) with what the server
 * attests of the envelope (conversation, seq, sender, time, the sender's client id) is one of these
 * events, applied beside the membership events the server writes itself. They live on the client
 * only: the server stores envelopes and knows none of these kinds.
 *
 * Messages are named by their `clientMessageId` (the id the author's client chose), unique within
 * a conversation; edits, deletes, reactions and replies refer to a message by it as `messageId`, so
 * a change can be composed offline against a message the server has not seen yet.
 */
import { z } from 'zod';
import { attachmentsSchema } from '../protocol/attachments.js';
import {
  conversationEventSchema,
  emoji,
  eventBase,
  forwardedFromSchema,
  groupName,
  linkPreviewSchema,
  MEMBERSHIP_EVENT_SCHEMAS,
  type ConversationEvent,
  clientIdOf,
  type MembershipEvent,
} from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import { callOutcomeSchema, MAX_CALL_DURATION_MS } from '../common/call-entry.js';
import { callIdSchema, callMediaSchema } from '../common/call-negotiation.js';
import { id } from '../protocol/wire-types.js';
import { pollDefinitionSchema } from '../common/polls.js';
import { locationDefinitionSchema } from '../common/locations.js';
import { stickerDefinitionSchema } from '../common/stickers.js';
import { messageStateContentSchema } from './kinds/message-state.js';
import { disappearingTimerMs } from '../protocol/disappearing.js';

export const messageEventSchema = z.object({
  kind: z.literal('message'),
  ...eventBase,
  clientMessageId: id,
  /** Empty once the message was deleted for everyone . */
  text: z.string().max(LIMITS.maxMessageChars),
  /** The message this one replies to, by its messageId; null when it is not a reply. */
  replyTo: id.nullable(),
  /** True when the message was later deleted for everyone (served so by catch-up). */
  deleted: z.boolean(),
  /** The files it carries, in the order the sender attached them; empty once deleted. */
  attachments: attachmentsSchema,
  /** Present when the message is a forward (the forwarding device names its author); gone once deleted. */
  forwardedFrom: forwardedFromSchema.optional(),
  /** The sender's preview of a link in the text; gone once deleted. */
  linkPreview: linkPreviewSchema.optional(),
  /** A poll's options (its text is the question); gone once deleted. */
  poll: pollDefinitionSchema.optional(),
  /** A location's point (its text is the place name); gone once deleted. */
  location: locationDefinitionSchema.optional(),
  /** A sticker's pack, key and sticker (its files are the sticker and the bundle); gone once deleted. */
  sticker: stickerDefinitionSchema.optional(),
  /** The disappearing-message timer it was written with. */
  expiresInMs: disappearingTimerMs.optional(),
});

/** The author changes a message's text; the edit with the highest seq is the current text. */
export const editEventSchema = z.object({
  kind: z.literal('edit'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
  /** Empty once the message was deleted for everyone. */
  text: z.string().max(LIMITS.maxMessageChars),
});

/** The author deletes a message for everyone: text, edit history and reactions are gone everywhere. */
export const deleteEventSchema = z.object({
  kind: z.literal('delete'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
});

/** A member adds (`on: true`) or removes (`on: false`) one emoji on a message. */
export const reactionEventSchema = z.object({
  kind: z.literal('reaction'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
  emoji,
  on: z.boolean(),
});

/**
 * A message is pinned (`on: true`) or unpinned in the conversation. In a group only owner and admins
 * pin; in a direct conversation both people (rules.ts). The latest pin event of a message is its
 * state; a deleted message is no longer pinned.
 */
export const pinEventSchema = z.object({
  kind: z.literal('pin'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
  on: z.boolean(),
});

/**
 * Content that changes a message's state (kinds/message-state.ts: a vote, a poll's end), kept per
 * message, kind and holder; `messageId` repeats the content's, so it is held like any change.
 */
export const messageStateEventSchema = z.object({
  kind: z.literal('message_state'),
  ...eventBase,
  clientChangeId: id,
  messageId: id,
  state: messageStateContentSchema,
});

/** A group's new name, as a rename's content says it (the server never reads it). */
export const groupRenamedEventSchema = z.object({
  kind: z.literal('group_renamed'),
  ...eventBase,
  clientChangeId: id,
  name: groupName,
});

/**
 * A call's entry (content.ts: `call`), written by its caller: kept with the notices, and worded by
 * each device from its own side (the caller's "No answer" is the callee's "Missed voice call").
 */
export const callEndedEventSchema = z.object({
  kind: z.literal('call_ended'),
  ...eventBase,
  clientChangeId: id,
  callId: callIdSchema,
  media: callMediaSchema,
  outcome: callOutcomeSchema,
  durationMs: z.number().int().min(0).max(MAX_CALL_DURATION_MS).nullable(),
});

/**
 * The conversation's disappearing-message timer set (content: disappearing_timer; null turned it
 * off), and a group's choice of who may set it (disappearing_policy): each kept as a notice, the
 * latest by seq in force.
 */
export const disappearingTimerSetEventSchema = z.object({
  kind: z.literal('disappearing_timer_set'),
  ...eventBase,
  clientChangeId: id,
  timerMs: disappearingTimerMs.nullable(),
});
export const disappearingPolicySetEventSchema = z.object({
  kind: z.literal('disappearing_policy_set'),
  ...eventBase,
  clientChangeId: id,
  everyone: z.boolean(),
});
export type DisappearingSetEvent =
  z.infer<typeof disappearingTimerSetEventSchema> | z.infer<typeof disappearingPolicySetEventSchema>;

/** The content events: what opened envelopes say. */
export const OPENED_EVENT_SCHEMAS = [
  messageEventSchema,
  editEventSchema,
  deleteEventSchema,
  reactionEventSchema,
  pinEventSchema,
  messageStateEventSchema,
  groupRenamedEventSchema,
  callEndedEventSchema,
  disappearingTimerSetEventSchema,
  disappearingPolicySetEventSchema,
] as const;

/** The membership notices a device keeps and shows: the server's, and renames, which are content. */
export const NOTICE_EVENT_SCHEMAS = [...MEMBERSHIP_EVENT_SCHEMAS, groupRenamedEventSchema] as const;

/** Every event the mirror applies: the server's (membership changes, envelopes) and what envelopes said. */
export const appliedEventSchema = z.discriminatedUnion('kind', [...conversationEventSchema.options, ...OPENED_EVENT_SCHEMAS]);
export type AppliedEvent = ConversationEvent | z.infer<(typeof OPENED_EVENT_SCHEMAS)[number]>;
export type MessageEvent = z.infer<typeof messageEventSchema>;
export type EditEvent = z.infer<typeof editEventSchema>;
export type DeleteEvent = z.infer<typeof deleteEventSchema>;
export type ReactionEvent = z.infer<typeof reactionEventSchema>;
export type PinEvent = z.infer<typeof pinEventSchema>;
export type MessageStateEvent = z.infer<typeof messageStateEventSchema>;
export type GroupRenamedEvent = z.infer<typeof groupRenamedEventSchema>;
export type CallEndedEvent = z.infer<typeof callEndedEventSchema>;
/** The events that change an existing message. */
export type ChangeEvent = EditEvent | DeleteEvent | ReactionEvent | PinEvent | MessageStateEvent;
/** Every change to a message, as held for its message to arrive. */
export const changeEventSchema = z.discriminatedUnion('kind', [
  editEventSchema,
  deleteEventSchema,
  reactionEventSchema,
  pinEventSchema,
  messageStateEventSchema,
]);
/** The events a conversation shows as notices: who is in it, their roles, its name. */
export type NoticeEvent = MembershipEvent | GroupRenamedEvent;

/** Whether an event changes who is in a conversation, their roles or its name. */
export function isNoticeEvent(event: AppliedEvent): event is NoticeEvent {
  switch (event.kind) {
    case 'message':
    case 'edit':
    case 'delete':
    case 'reaction':
    case 'pin':
    case 'message_state':
    case 'envelope':
    case 'call_ended':
    case 'disappearing_timer_set':
    case 'disappearing_policy_set':
      return false;
    case 'group_created':
    case 'members_added':
    case 'member_removed':
    case 'member_left':
    case 'group_renamed':
    case 'role_changed':
      return true;
  }
}

/**
 * The client-chosen id an event was stored under (idempotency is by sender and this id): the
 * message's id, the change's id, an envelope's id, or for a group's creation the conversation's id.
 */
export function appliedClientIdOf(event: AppliedEvent): string {
  switch (event.kind) {
    case 'message':
      return event.clientMessageId;
    case 'edit':
    case 'delete':
    case 'reaction':
    case 'pin':
    case 'message_state':
    case 'group_renamed':
    case 'call_ended':
    case 'disappearing_timer_set':
    case 'disappearing_policy_set':
      return event.clientChangeId;
    case 'group_created':
    case 'members_added':
    case 'member_removed':
    case 'member_left':
    case 'role_changed':
    case 'envelope':
      return clientIdOf(event);
  }
}
