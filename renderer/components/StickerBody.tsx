import { useEffect, useState } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import type { StickerView } from '../../sync/app-api/stickers-api.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { stickerRefusalOf } from '../state/stickers.js';

/**
 * A sticker in a message: its picture large, without a bubble, named by its emoji (or "Sticker"),
 * and "Add sticker pack" while its pack is not installed here. A sticker whose picture does not
 * load, or whose pack does not open, says so in words.
 */
export function StickerBody({ message, sticker }: { message: MessageView; sticker: StickerView }) {
  const packs = useApp((state) => state.stickerPacks);
  const installed = packs === null || packs.some((pack) => pack.packId === sticker.packId);
  const { addStickerPack, loadStickerPacks } = useActions();
  const [broken, setBroken] = useState(false);
  const [adding, setAdding] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const picture = message.attachments[0];

  // Whether to offer "Add sticker pack" depends on the packs installed here: read them once.
  useEffect(() => {
    if (packs === null) void loadStickerPacks().catch(() => undefined);
  }, [packs, loadStickerPacks]);
  const name = sticker.emoji ?? t.stickers.sticker;

  const add = () => {
    setAdding(true);
    setProblem(null);
    addStickerPack(message.conversationId, message.id).then(
      () => setAdding(false),
      (failure: unknown) => {
        setAdding(false);
        const code = stickerRefusalOf(failure);
        setProblem(t.stickers.refusals[code as keyof typeof t.stickers.refusals] ?? t.stickers.refusals.other);
      },
    );
  };

  return (
    <div className="sticker">
      {broken ? (
        <p className="sticker__problem">{t.stickers.notShown}</p>
      ) : picture?.localUrl ? (
        <img className="sticker__image" src={picture.localUrl} alt={name} onError={() => setBroken(true)} draggable={false} />
      ) : (
        <div className="sticker__image sticker__image--waiting" role="img" aria-label={name} />
      )}
      {!message.own && !installed && (
        <button type="button" className="button button--secondary sticker__add" disabled={adding} onClick={add}>
          {adding ? t.stickers.adding : t.stickers.add}
        </button>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
