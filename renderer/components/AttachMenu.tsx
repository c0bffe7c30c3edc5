import { useState } from 'react';
import { t } from '../i18n/index.js';
import { PlusIcon } from './icons.js';
import { MenuButton } from './MenuButton.js';
import { NewPollDialog } from './NewPollDialog.js';
import { NewLocationDialog } from './NewLocationDialog.js';

type AttachChoice = 'file' | 'poll' | 'location';

interface Props {
  conversationId: string;
  /** Opens the file chooser, as the "Attach" button beside it does. */
  onChooseFile: () => void;
}

/**
 * The composer's "Attach menu", beside "Attach" (which still opens the file chooser at once): File,
 * Poll, Location. A menu button like the conversation menu (MenuButton has its keys).
 */
export function AttachMenu({ conversationId, onChooseFile }: Props) {
  const [composingPoll, setComposingPoll] = useState(false);
  const [choosingLocation, setChoosingLocation] = useState(false);

  /** In menu order. Another kind of attachment is one more entry. */
  const choices: { key: AttachChoice; choose: () => void }[] = [
    { key: 'file', choose: onChooseFile },
    { key: 'poll', choose: () => setComposingPoll(true) },
    { key: 'location', choose: () => setChoosingLocation(true) },
  ];

  return (
    <MenuButton
      className="attach-menu"
      buttonClassName="icon-button composer__tool attach-menu__button"
      label={t.attachMenu.button}
      icon={<PlusIcon size={18} />}
      menuLabel={t.attachMenu.label}
      panelClassName="attach-menu__panel"
      items={choices.map((choice) => ({ ...choice, label: t.attachMenu[choice.key] }))}
    >
      {composingPoll && <NewPollDialog conversationId={conversationId} onClose={() => setComposingPoll(false)} />}
      {choosingLocation && <NewLocationDialog conversationId={conversationId} onClose={() => setChoosingLocation(false)} />}
    </MenuButton>
  );
}
