import { useState } from 'react';
import type { AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import { useAttachmentFile } from '../hooks/useAttachmentFile.js';
import { previewWithinBudget, useImageBudget } from '../hooks/useImageBudget.js';
import { t } from '../i18n/index.js';
import { fitWithin } from '../state/image-size.js';
import { isGif } from '../state/gifs.js';
import { FileAttachment } from './FileAttachment.js';
import { GifAttachment } from './GifAttachment.js';
import { ImageViewer } from './ImageViewer.js';

/** Images in a message are at most this wide or tall. */
const MAX_SIDE_PX = 320;

/**
 * An image at its own proportions from the start: the sender's tiny preview, stretched, until the
 * verified bytes are here. Its accessible name is its file name (unless told another); activating it opens the viewer.
 * One above the pixel budget (by its header, image-budget.ts) is never decoded: it is shown as a file.
 */
export function ImageAttachment({
  message,
  attachment,
  alt = attachment.name,
}: {
  message: MessageView;
  attachment: AttachmentView;
  /** Its accessible name when its file name is not what it shows (a location's map). */
  alt?: string;
}) {
  const [viewing, setViewing] = useState(false);
  const { save } = useAttachmentFile(message, attachment);
  const verdict = useImageBudget(attachment);
  if (verdict === 'file') return <FileAttachment message={message} attachment={attachment} />;
  const size = fitWithin(attachment.width ?? MAX_SIDE_PX, attachment.height ?? MAX_SIDE_PX, MAX_SIDE_PX);
  const shown = verdict === 'image' ? attachment.localUrl : null;
  const src = shown ?? previewWithinBudget(attachment.preview);
  const viewer = viewing && shown && <ImageViewer attachment={attachment} onSave={save} onClose={() => setViewing(false)} />;
  if (shown && isGif(attachment)) {
    return (
      <>
        <GifAttachment
          attachment={attachment}
          src={shown}
          width={size.width}
          height={size.height}
          onOpen={() => setViewing(true)}
        />
        {viewer}
      </>
    );
  }
  return (
    <>
      {/* The img itself is what is activated (a button around it would hide it as an image from assistive technology). */}
      <img
        className={`attachment-image${shown ? '' : ' attachment-image--preview'}`}
        src={src}
        alt={alt}
        title={t.attachments.open(alt)}
        width={size.width}
        height={size.height}
        draggable={false}
        tabIndex={0}
        onClick={() => setViewing(true)}
        onKeyDown={(event) => {
          if (event.key !== 'Enter' && event.key !== ' ') return;
          event.preventDefault();
          setViewing(true);
        }}
      />
      {viewer}
    </>
  );
}
