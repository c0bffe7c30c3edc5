import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeTransferError } from '../state/errors.js';
import { progressOf, transferKey } from '../state/transfers.js';

/** An attachment's upload or download: a progress bar while it moves, the reason and Retry when it failed. */
export function TransferStatus({ message, attachment }: { message: MessageView; attachment: AttachmentView }) {
  const live = useApp((s) => s.transfers.get(transferKey(message.id, attachment.index)));
  const { retry, downloadAttachment } = useActions();
  const progress = progressOf(attachment, live);
  if (!progress) return null;
  const { name } = attachment;
  if (progress.state === 'failed') {
    const reason = describeTransferError(progress.error);
    const upload = progress.direction === 'upload';
    // A failed upload fails its message, whose own Retry (below the bubble) sends it all again.
    const offerRetry = !upload || message.status !== 'failed';
    return (
      <p className="transfer transfer--failed">
        <span>{upload ? t.attachments.uploadFailed(name, reason) : t.attachments.downloadFailed(name, reason)}</span>
        {offerRetry && (
          <button
            type="button"
            className="link-button"
            onClick={() => void (upload ? retry(message.id) : downloadAttachment(message.id, attachment.index))}
          >
            {t.attachments.retry}
          </button>
        )}
      </p>
    );
  }
  const label = progress.direction === 'upload' ? t.attachments.uploading(name) : t.attachments.downloading(name);
  return (
    <div
      className="transfer"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={progress.percent}
      aria-valuetext={progress.state === 'queued' ? t.attachments.waiting : `${progress.percent}%`}
    >
      <span className="transfer__bar" style={{ width: `${progress.percent}%` }} />
    </div>
  );
}
