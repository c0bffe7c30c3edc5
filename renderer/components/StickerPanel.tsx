import { useEffect, useState, type RefObject } from 'react';
import { fileUrl } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { NewStickerPackDialog } from './NewStickerPackDialog.js';

interface Props {
  /** A sticker was chosen (the dialog closes and the composer sends it). */
  onPick: (packId: string, stickerId: string) => void;
  /** Takes focus when the tab is shown. */
  createRef: RefObject<HTMLButtonElement | null>;
}

/**
 * The picker's "Stickers" tab: "Create sticker pack", then each installed pack as a group named
 * by the pack, its stickers buttons named by their emoji (or "Sticker"), shown from the local copy.
 */
export function StickerPanel({ onPick, createRef }: Props) {
  const packs = useApp((state) => state.stickerPacks);
  const { loadStickerPacks } = useActions();
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    void loadStickerPacks().catch(() => undefined);
  }, [loadStickerPacks]);

  return (
    <div className="sticker-panel">
      <button ref={createRef} type="button" className="button button--secondary" onClick={() => setCreating(true)}>
        {t.stickers.create}
      </button>
      <div className="sticker-panel__viewport">
        {packs === null ? (
          <p className="sticker-panel__note">{t.stickers.loading}</p>
        ) : packs.length === 0 ? (
          <p className="sticker-panel__note">{t.stickers.none}</p>
        ) : (
          packs.map((pack) => (
            <section key={pack.packId} className="sticker-panel__pack" aria-label={pack.name}>
              <h3 className="sticker-panel__name">{pack.name}</h3>
              <div className="sticker-panel__grid">
                {pack.stickers.map((sticker) => (
                  <button
                    key={sticker.stickerId}
                    type="button"
                    className="sticker-panel__sticker"
                    aria-label={sticker.emoji ?? t.stickers.sticker}
                    title={sticker.emoji ?? t.stickers.sticker}
                    onClick={() => onPick(pack.packId, sticker.stickerId)}
                  >
                    <img src={fileUrl(sticker.sha256)} alt="" draggable={false} />
                  </button>
                ))}
              </div>
            </section>
          ))
        )}
      </div>
      {creating && <NewStickerPackDialog onClose={() => setCreating(false)} />}
    </div>
  );
}
