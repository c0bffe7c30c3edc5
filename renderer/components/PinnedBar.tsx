import { useState } from 'react';
import type { PinnedMessageView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { shownPinIndex, type PinChoice } from '../state/pins.js';
import { PinIcon } from './organise-icons.js';

const NO_PINS: readonly PinnedMessageView[] = [];

/** What a pinned message reads as in the bar: its text on one line, or its first file's name. */
export function pinnedText(pin: PinnedMessageView): string {
  return pin.text.replace(/\s+/gu, ' ').trim() || (pin.attachment?.name ?? '');
}

/**
 * The bar under the header of a conversation with pinned messages: the newest pinned one (its
 * sender and text). With several it says which ("2 of 3"); clicking jumps to the one shown and
 * then shows the next older one, round again after the oldest; a new pin is shown at once. Keyed by
 * conversation by its parent.
 */
export function PinnedBar({ conversationId }: { conversationId: string }) {
  const pins = useApp((s) => (s.pins?.conversationId === conversationId ? s.pins.list : NO_PINS));
  const { jumpToMessage, showNotice } = useActions();
  /** Where clicking moved the bar, by message ids (so an older pin removed meanwhile does not shift it). */
  const [choice, setChoice] = useState<PinChoice | null>(null);
  if (pins.length === 0) return null;

  const index = shownPinIndex(pins, choice);
  const pin = pins[index]!;
  const text = pinnedText(pin);

  const onClick = () => {
    setChoice({ shownId: pins[(index + 1) % pins.length]!.messageId, newestId: pins[0]!.messageId });
    void jumpToMessage(conversationId, pin.messageId).then((ok) => {
      if (!ok) showNotice(t.quote.notFound);
    });
  };

  return (
    <section className="pinned-bar" aria-label={t.pins.region}>
      <button type="button" className="pinned-bar__button" onClick={onClick} title={t.pins.show(pin.senderName, text)}>
        <PinIcon size={16} className="pinned-bar__icon" />
        <span className="pinned-bar__body">
          <span className="pinned-bar__top">
            <span className="pinned-bar__sender">{pin.senderName}</span>
            {pins.length > 1 && <span className="pinned-bar__position">{t.pins.position(index + 1, pins.length)}</span>}
          </span>
          <span className="pinned-bar__text">{text}</span>
        </span>
      </button>
    </section>
  );
}
