import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import { formatSize } from '../format/size.js';
import { useAttachmentFile } from '../hooks/useAttachmentFile.js';
import { t } from '../i18n/index.js';
import { DownloadIcon, FileIcon } from './icons.js';

/** A file that is only ever saved, never opened inline: its name, size and "Save <name>". */
export function FileAttachment({ message, attachment }: { message: MessageView; attachment: AttachmentView }) {
  const { save } = useAttachmentFile(message, attachment);
  const label = t.attachments.save(attachment.name);
  return (
    <div className="attachment-file">
      <FileIcon size={24} className="attachment-file__icon" />
      <span className="attachment-file__body">
        <span className="attachment-file__name">{attachment.name}</span>
        <span className="attachment-file__size">{formatSize(attachment.size)}</span>
      </span>
      <button type="button" className="icon-button" aria-label={label} title={label} onClick={save}>
        <DownloadIcon size={18} />
      </button>
    </div>
  );
}
