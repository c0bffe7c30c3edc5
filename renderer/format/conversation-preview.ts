/**
 * A conversation's one line in the list (WhatsApp's and Signal's wording): a draft, the newest
 * call, or the newest message (a poll by its question after a chart sign, a location by its place
 * name after a pin, a file by its kind).
 */
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import type { AttachmentKind } from '../../sync/protocol/attachments.js';
import { t } from '../i18n/index.js';
import { isDeletedPreview } from '../state/conversations.js';
import { callEntryWords } from './call-entry.js';

/** What an attachment-only message reads as: "Photo", "GIF", "Voice message", or the file's name. */
function attachmentPreview(attachment: { kind: AttachmentKind; name: string } | null): string {
  switch (attachment?.kind) {
    case undefined:
      return '';
    case 'image':
      // The list knows the name, not the type: a GIF from the picker is always named "….gif".
      return /\.gif$/iu.test(attachment.name) ? t.conversations.gifPreview : t.conversations.photoPreview;
    case 'voice':
      return t.conversations.voicePreview;
    case 'file':
      return attachment.name;
  }
}

/** What the conversation list shows under a conversation's title: its draft, newest call or newest message. */
export function conversationPreview(conversation: ConversationSummary): string {
  if (conversation.draft !== null) return t.draft.preview(conversation.draft.replace(/\s+/gu, ' ').trim());
  if (conversation.lastCall) return callEntryWords(conversation.lastCall).text;
  const last = conversation.lastMessage;
  if (!last) return t.conversations.noMessagesPreview;
  if (isDeletedPreview(last)) return t.conversations.deletedPreview;
  const text = last.text.replace(/\s+/gu, ' ').trim();
  const oneLine = last.poll
    ? t.conversations.pollPreview(text)
    : last.location
      ? t.conversations.locationPreview(text)
      : last.sticker
        ? t.conversations.stickerPreview
        : text || attachmentPreview(last.attachment ?? null);
  if (last.own) return t.conversations.ownPreview(oneLine);
  return conversation.kind === 'group' && last.senderName ? t.conversations.senderPreview(last.senderName, oneLine) : oneLine;
}
