/**
 * What a queued outbox row says as sealed content (content/content.ts), and the facts its envelope
 * carries outside the seal because the server acts on them (protocol/envelope-frames.ts): the
 * uploads it refers to, and the message it deletes for everyone. Rows that change membership (a
 * conversation's creation, a group change) have no content: the server keeps membership and
 * roles, so they go in the clear.
 */
import type { Content } from '../content/content.js';
import type { Attachment } from '../protocol/attachments.js';
import type { LinkPreview } from '../protocol/frames.js';
import type { Mirror, OutboxEntry } from './mirror/mirror.js';

export interface SealableRow {
  content: Content;
  /** The upload ids the content refers to. */
  attachments: string[];
  /** The client id of this sender's message it deletes for everyone. */
  deletes?: string;
  /** The message's disappearing timer, beside the seal: the server purges the envelope once it has run. */
  expiresInMs?: number;
}

/** A file from before files were encrypted: it has no key to send inside the content, so it cannot go. */
export class KeylessFileError extends Error {
  constructor(readonly attachmentId: string) {
    super(`File ${attachmentId} has no key: it cannot be sent in an encrypted message`);
    this.name = 'KeylessFileError';
  }
}

export function sealableRow(entry: OutboxEntry, attachments: readonly Attachment[]): SealableRow | null {
  switch (entry.kind) {
    case 'send':
      return {
        content: messageContent(entry, attachments),
        attachments: attachments.map((attachment) => attachment.id),
        ...(entry.expiresInMs !== null ? { expiresInMs: entry.expiresInMs } : {}),
      };
    case 'edit':
      return { content: { kind: 'edit', messageId: entry.messageId, text: entry.text }, attachments: [] };
    case 'delete':
      return { content: { kind: 'delete', messageId: entry.messageId }, attachments: [], deletes: entry.messageId };
    case 'reaction':
      return {
        content: { kind: 'reaction', messageId: entry.messageId, emoji: entry.emoji, on: entry.on },
        attachments: [],
      };
    case 'pin':
      return { content: { kind: 'pin', messageId: entry.messageId, on: entry.on }, attachments: [] };
    case 'group':
      // A group's name is content: the server keeps membership, and reads no name.
      return entry.change.kind === 'rename' ? { content: { kind: 'rename', name: entry.change.name }, attachments: [] } : null;
    case 'call':
      return { content: entry.call, attachments: [] };
    case 'content':
    case 'conversation_setting':
      return { content: entry.content, attachments: [] };
    case 'create':
      return null;
  }
}

type QueuedMessage = Pick<
  Extract<OutboxEntry, { kind: 'send' }>,
  'text' | 'replyTo' | 'forwardedFrom' | 'forwardOf' | 'linkPreview' | 'poll' | 'location' | 'sticker' | 'expiresInMs'
>;

function messageContent(message: QueuedMessage, attachments: readonly Attachment[]): Content {
  return {
    kind: 'message',
    text: message.text,
    ...(message.replyTo ? { replyTo: message.replyTo } : {}),
    ...(attachments.length > 0 ? { attachments: attachments.map(withKey) } : {}),
    ...(message.forwardedFrom !== null && message.forwardOf ? { forwardedFrom: { name: message.forwardedFrom } } : {}),
    ...(message.linkPreview ? { linkPreview: message.linkPreview } : {}),
    ...(message.poll ? { poll: message.poll } : {}),
    ...(message.location ? { location: message.location } : {}),
    ...(message.sticker ? { sticker: message.sticker } : {}),
    ...(message.expiresInMs !== null ? { expiresInMs: message.expiresInMs } : {}),
  };
}

/**
 * What a new message of text (a reply, a link preview) will say once queued, as its row's
 * sealableRow will: sealed before the row is written (OutboxSender.queueAndSend), and checked
 * against the row then.
 */
export function textMessageContent(
  text: string,
  replyTo: string | null,
  linkPreview: LinkPreview | null,
  expiresInMs: number | null,
): Content {
  const none = { forwardedFrom: null, forwardOf: null, poll: null, location: null, sticker: null };
  return messageContent({ text, replyTo, linkPreview, expiresInMs, ...none }, []);
}

/**
 * The content of a row this device sealed and still has queued, by its client id: what its own
 * envelope says when the server brings it back before the acknowledgement was recorded (this
 * device cannot open what it sealed itself). Null when nothing sealable is queued under the id.
 */
export function queuedContent(mirror: Mirror, clientId: string): Content | null {
  const entry = mirror.outbox.queued(clientId);
  if (!entry) return null;
  const attachments =
    entry.kind === 'send' && entry.hasFiles ? (mirror.attachments.forSend(entry.conversationId, entry.messageId) ?? []) : [];
  return sealableRow(entry, attachments)?.content ?? null;
}

function withKey(attachment: Attachment): Attachment & { key: string } {
  if (attachment.key === undefined) throw new KeylessFileError(attachment.id);
  return { ...attachment, key: attachment.key };
}
