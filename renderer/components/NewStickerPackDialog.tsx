import { useId, useState, type FormEvent } from 'react';
import { STICKER_LIMITS } from '../../sync/common/stickers.js';
import { emoji as emojiSchema } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { stickerRefusalOf } from '../state/stickers.js';
import { FormActions } from './FormActions.js';
import { ModalDialog } from './ModalDialog.js';

/**
 * "Create sticker pack": a name ("Pack name") and up to 200 pictures (PNG, APNG, WebP, GIF), each
 * with an optional emoji (its sticker's name), which the core converts to 512×512 WebP stickers. A
 * picture it cannot take is said in words.
 */
export function NewStickerPackDialog({ onClose }: { onClose: () => void }) {
  const { createStickerPack } = useActions();
  const [name, setName] = useState('');
  const [pictures, setPictures] = useState<File[]>([]);
  const [emojis, setEmojis] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameId = useId();
  const picturesId = useId();
  const emojiFits = emojis.every((each) => each.trim() === '' || emojiSchema.safeParse(each.trim()).success);
  const ready = name.trim() !== '' && pictures.length > 0 && pictures.length <= STICKER_LIMITS.maxStickers && emojiFits;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Drawn at the end of <body>, but React hands its events to the composer's form around it too.
    event.stopPropagation();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    const chosen = pictures.map((file, index) => {
      const emoji = emojis[index]?.trim() ?? '';
      return emoji === '' ? { file } : { file, emoji };
    });
    createStickerPack(name.trim(), chosen).then(onClose, (failure: unknown) => {
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
            onChange={(event) => {
              setPictures([...(event.target.files ?? [])].slice(0, STICKER_LIMITS.maxStickers));
              setEmojis([]);
            }}
          />
          {pictures.length > 0 && <p className="field__hint">{t.stickers.chosen(pictures.length)}</p>}
        </div>
        {pictures.length > 0 && (
          <ul className="sticker-pictures">
            {pictures.map((file, index) => (
              <li key={`${index}-${file.name}`}>
                <input
                  className="field__input"
                  type="text"
                  aria-label={t.stickers.emojiFor(file.name)}
                  placeholder={t.stickers.emojiPlaceholder}
                  value={emojis[index] ?? ''}
                  maxLength={16}
                  onChange={(event) => {
                    const next = [...emojis];
                    next[index] = event.target.value;
                    setEmojis(next);
                  }}
                  autoComplete="off"
                />
                <span className="sticker-pictures__name">{file.name}</span>
              </li>
            ))}
          </ul>
        )}
        {!emojiFits && <p className="form-error">{t.stickers.notAnEmoji}</p>}
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
