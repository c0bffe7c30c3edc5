/**
 * Whether a message that just arrived earns a native notification, and what it says. Pure: the
 * host gathers the facts (the core only reports messages that arrived live, see the 'incoming'
 * AppEvent) and shows what this returns.
 */
import type { ConversationSummary, MessageView } from '../../sync/app-api/contract.js';
import type { DesktopStrings } from './desktop-strings.js';

export interface NotificationFacts {
  /** The app's window has the focus: the person sees the message arrive. */
  windowFocused: boolean;
  conversation: Pick<ConversationSummary, 'kind' | 'title' | 'muted' | 'request'>;
  message: Pick<MessageView, 'own' | 'deleted' | 'seq' | 'senderId' | 'senderName' | 'text' | 'attachments'>;
  /** Your read watermark in the conversation (MessagePage.readSeq): read on another device, or here. */
  readSeq: number;
  /** The people you blocked. */
  blockedUserIds: ReadonlySet<string>;
  /** The device preference "Show message text in notifications". */
  previews: boolean;
  strings: DesktopStrings;
}

export interface NotificationContent {
  title: string;
  body: string;
}

/** The longest text a notification carries; the rest is cut with an ellipsis. */
export const MAX_NOTIFICATION_BODY = 200;

/** What to show, or null when nothing should be shown. */
export function decideNotification(facts: NotificationFacts): NotificationContent | null {
  const { message, conversation, strings } = facts;
  // A message request makes no sound until it is accepted (protocol/request-rules.ts).
  if (facts.windowFocused || conversation.muted || conversation.request) return null;
  if (message.own || message.deleted || facts.blockedUserIds.has(message.senderId)) return null;
  if (message.seq !== null && message.seq <= facts.readSeq) return null;
  const title =
    conversation.kind === 'group' ? strings.senderInGroup(message.senderName, conversation.title) : message.senderName;
  return { title, body: facts.previews ? preview(message, strings) : strings.newMessage };
}

function preview(message: NotificationFacts['message'], strings: DesktopStrings): string {
  const text = message.text.replace(/\s+/gu, ' ').trim();
  if (text.length > 0) return shorten(text);
  const first = message.attachments[0];
  if (!first) return strings.newMessage;
  switch (first.kind) {
    case 'image':
      return strings.photo;
    case 'voice':
      return strings.voice;
    case 'file':
      return shorten(first.name);
    default: {
      const unknown: never = first.kind;
      return String(unknown);
    }
  }
}

function shorten(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_NOTIFICATION_BODY ? text : `${chars.slice(0, MAX_NOTIFICATION_BODY - 1).join('')}…`;
}

/**
 * Linux notification servers read the body as markup (the freedesktop "body-markup" subset) and
 * Electron hands it over as it is: escaped, a message's text shows as typed and never as markup.
 * Titles are plain text by the specification.
 */
export function escapeNotificationMarkup(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}
