import { useId, useState, type FormEvent } from 'react';
import { STICKER_LIMITS } from '../../sync/common/stickers.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { stickerRefusalOf } from '../state/stickers.js';
import { FormActions } from './FormActions.js';
import { ModalDialog } from './ModalDialog.js';

/**
 * "Create sticker pack": a name ("Pack name") and up to 200 pictures (PNG, APNG, WebP, GIF), which
 * the core converts to 512×512 WebP stickers. A picture it cannot take is said in words.
 */
export function NewStickerPackDialog({ onClose }: { onClose: () => void }) {
  const { createStickerPack } = useActions();
  const [name, setName] = useState('');
  const [pictures, setPictures] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameId = useId();
  const picturesId = useId();
  const ready = name.trim() !== '' && pictures.length > 0 && pictures.length <= STICKER_LIMITS.maxStickers;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Drawn at the end of <body>, but React hands its events to the composer's form around it too.
    event.stopPropagation();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    createStickerPack(name.trim(), pictures).then(onClose, (failure: unknown) => {
      setBusy(false);
      const code = stickerRefusalOf(failure);
      setError(t.stickers.refusals[code as keyof typeof t.stickers.refusals] ?? t.stickers.refusals.other);
    });
  };

  return (
    <ModalDialog title={t.stickers.newTitle} onClose={onClose} className="dialog--sticker-pack">
      <form className="dialog__form" onSubmit={submit} noValidate>
        <div className="field">
          <label className="field__label" htmlFor={nameId}>
            {t.stickers.name}
          </label>
          <input
            id={nameId}
            className="field__input"
            type="text"
            value={name}
            maxLength={STICKER_LIMITS.maxNameChars}
            onChange={(event) => setName(event.target.value)}
            autoComplete="off"
          />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={picturesId}>
            {t.stickers.pictures}
          </label>
          <input
            id={picturesId}
            type="file"
            multiple
            accept="image/png,image/apng,image/webp,image/gif"
            onChange={(event) => setPictures([...(event.target.files ?? [])].slice(0, STICKER_LIMITS.maxStickers))}
          />
          {pictures.length > 0 && <p className="field__hint">{t.stickers.chosen(pictures.length)}</p>}
        </div>
        <FormActions
          error={error}
          cancelLabel={t.stickers.cancel}
          onCancel={onClose}
          submitLabel={busy ? t.stickers.creating : t.stickers.createButton}
          submitDisabled={!ready || busy}
        />
      </form>
    </ModalDialog>
  );
}
