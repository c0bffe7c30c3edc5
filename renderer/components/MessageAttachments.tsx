import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import { FileAttachment } from './FileAttachment.js';
import { ImageAttachment } from './ImageAttachment.js';
import { TransferStatus } from './TransferStatus.js';
import { VoiceAttachment } from './VoiceAttachment.js';

function Part({ message, attachment, asFile }: { message: MessageView; attachment: AttachmentView; asFile: boolean }) {
  if (asFile) return <FileAttachment message={message} attachment={attachment} />;
  switch (attachment.kind) {
    case 'image':
      return <ImageAttachment message={message} attachment={attachment} />;
    case 'voice':
      return <VoiceAttachment message={message} attachment={attachment} />;
    case 'file':
      return <FileAttachment message={message} attachment={attachment} />;
  }
}

/**
 * A message's files in the order they were attached, each with its transfer's progress or failure.
 * `asFiles`: every one as a plain file, nothing of it decoded (a message request not accepted yet).
 */
export function MessageAttachments({ message, asFiles = false }: { message: MessageView; asFiles?: boolean }) {
  return (
    <div className="message__attachments">
      {message.attachments.map((attachment) => (
        <div key={attachment.index} className="message__attachment">
          <Part message={message} attachment={attachment} asFile={asFiles} />
          <TransferStatus message={message} attachment={attachment} />
        </div>
      ))}
    </div>
  );
}
