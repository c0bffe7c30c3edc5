/**
 * Opened content as the event the mirror applies: the sealed envelope gives what the server
 * attests (conversation, seq, sender, time, the sender's client id), the content what was said. The mirror and the renderer go on applying and showing
 * the events they always have.
 */
import type { EnvelopeEvent } from '../protocol/envelope-frames.js';
import type { Change, Content } from './content.js';
import { isMessageStateContent, type MessageStateContent } from './kinds/message-state.js';
import type { AppliedEvent, ChangeEvent } from './opened-events.js';

export function eventOfContent(envelope: EnvelopeEvent, content: Content): AppliedEvent {
  const base = baseOf(envelope);
  if (isMessageStateContent(content)) {
    return { kind: 'message_state', ...base, clientChangeId: envelope.clientId, messageId: content.messageId, state: content };
  }
  switch (content.kind) {
    case 'message':
      return {
        kind: 'message',
        ...base,
        clientMessageId: envelope.clientId,
        text: content.text,
        replyTo: content.replyTo ?? null,
        deleted: false,
        attachments: content.attachments ?? [],
        ...(content.forwardedFrom ? { forwardedFrom: content.forwardedFrom } : {}),
        ...(content.linkPreview ? { linkPreview: content.linkPreview } : {}),
        ...(content.poll ? { poll: content.poll } : {}),
        ...(content.location ? { location: content.location } : {}),
        ...(content.sticker ? { sticker: content.sticker } : {}),
        ...(content.expiresInMs ? { expiresInMs: content.expiresInMs } : {}),
      };
    case 'edit':
      return { kind: 'edit', ...base, clientChangeId: envelope.clientId, messageId: content.messageId, text: content.text };
    case 'delete':
      return { kind: 'delete', ...base, clientChangeId: envelope.clientId, messageId: content.messageId };
    case 'reaction':
      return {
        kind: 'reaction',
        ...base,
        clientChangeId: envelope.clientId,
        messageId: content.messageId,
        emoji: content.emoji,
        on: content.on,
      };
    case 'pin':
      return { kind: 'pin', ...base, clientChangeId: envelope.clientId, messageId: content.messageId, on: content.on };
    case 'rename':
      return { kind: 'group_renamed', ...base, clientChangeId: envelope.clientId, name: content.name };
    case 'disappearing_timer':
      return { kind: 'disappearing_timer_set', ...base, clientChangeId: envelope.clientId, timerMs: content.timerMs };
    case 'disappearing_policy':
      return { kind: 'disappearing_policy_set', ...base, clientChangeId: envelope.clientId, everyone: content.everyone };
    case 'call':
      return {
        kind: 'call_ended',
        ...base,
        clientChangeId: envelope.clientId,
        callId: content.callId,
        media: content.media,
        outcome: content.outcome,
        durationMs: content.durationMs,
      };
  }
}

/**
 * An envelope deleted for everyone before this device opened it: the server kept nothing of it to
 * open, and only a message can be deleted for everyone, so it is a deleted message, as it is on the
 * devices that saw it before.
 */
export function eventOfDeletedEnvelope(envelope: EnvelopeEvent): AppliedEvent {
  return {
    kind: 'message',
    ...baseOf(envelope),
    clientMessageId: envelope.clientId,
    text: '',
    replyTo: null,
    deleted: true,
    attachments: [],
  };
}

function baseOf(envelope: EnvelopeEvent) {
  return { conversationId: envelope.conversationId, seq: envelope.seq, senderId: envelope.senderId, sentAt: envelope.sentAt };
}

/** A change to a message as the content that says it, to judge it again (a change held for its message). */
export function changeOfEvent(event: ChangeEvent): Change | MessageStateContent {
  switch (event.kind) {
    case 'edit':
      return { kind: 'edit', messageId: event.messageId, text: event.text };
    case 'delete':
      return { kind: 'delete', messageId: event.messageId };
    case 'reaction':
      return { kind: 'reaction', messageId: event.messageId, emoji: event.emoji, on: event.on };
    case 'pin':
      return { kind: 'pin', messageId: event.messageId, on: event.on };
    case 'message_state':
      return event.state;
  }
}
