import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import { FileAttachment } from './FileAttachment.js';
import { ImageAttachment } from './ImageAttachment.js';
import { TransferStatus } from './TransferStatus.js';
import { VoiceAttachment } from './VoiceAttachment.js';

function Part({ message, attachment }: { message: MessageView; attachment: AttachmentView }) {
  switch (attachment.kind) {
    case 'image':
      return <ImageAttachment message={message} attachment={attachment} />;
    case 'voice':
      return <VoiceAttachment message={message} attachment={attachment} />;
    case 'file':
      return <FileAttachment message={message} attachment={attachment} />;
  }
}

/** A message's files in the order they were attached, each with its transfer's progress or failure. */
export function MessageAttachments({ message }: { message: MessageView }) {
  return (
    <div className="message__attachments">
      {message.attachments.map((attachment) => (
        <div key={attachment.index} className="message__attachment">
          <Part message={message} attachment={attachment} />
          <TransferStatus message={message} attachment={attachment} />
        </div>
      ))}
    </div>
  );
}
