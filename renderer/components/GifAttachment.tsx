import { useState } from 'react';
import type { AttachmentView } from '../../sync/app-api/contract.js';
import { usePrefersReducedMotion } from '../hooks/usePrefersReducedMotion.js';
import { t } from '../i18n/index.js';
import { GifImage } from './GifImage.js';
import { PauseIcon, PlayIcon } from './icons.js';

interface Props {
  attachment: AttachmentView;
  /** Where its verified bytes are. */
  src: string;
  width: number;
  height: number;
  /** Opens the image viewer. */
  onOpen: () => void;
}

/**
 * A GIF in a message: it loops on its own, unless the system asks for less motion; then it stays
 * on its first frame until played ("Play GIF", or activating the still image). "Pause GIF" stops
 * it either way. Activating a playing GIF opens the viewer, as for any image.
 */
export function GifAttachment({ attachment, src, width, height, onOpen }: Props) {
  const reducedMotion = usePrefersReducedMotion();
  /** What the person chose; until then the system's preference decides. */
  const [chosen, setChosen] = useState<boolean | null>(null);
  const playing = chosen ?? !reducedMotion;
  const activate = () => (playing ? onOpen() : setChosen(true));
  return (
    <span className="attachment-gif">
      <GifImage
        className="attachment-image"
        src={src}
        alt={attachment.name}
        title={t.attachments.open(attachment.name)}
        width={width}
        height={height}
        playing={playing}
        tabIndex={0}
        onClick={activate}
        onKeyDown={(event) => {
          if (event.key !== 'Enter' && event.key !== ' ') return;
          event.preventDefault();
          activate();
        }}
      />
      <span className="attachment-gif__badge" aria-hidden="true">
        {t.gifs.badge}
      </span>
      <button
        type="button"
        className="icon-button attachment-gif__toggle"
        aria-label={playing ? t.gifs.pause : t.gifs.play}
        title={playing ? t.gifs.pause : t.gifs.play}
        onClick={() => setChosen(!playing)}
      >
        {playing ? <PauseIcon size={16} /> : <PlayIcon size={16} />}
      </button>
    </span>
  );
}
