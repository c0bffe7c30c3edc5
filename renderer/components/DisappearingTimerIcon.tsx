import type { MessageView } from '../../sync/app-api/contract.js';
import { expiryWords } from '../format/disappearing.js';
import { useSecondClock } from '../hooks/useSecondClock.js';
import { t } from '../i18n/index.js';
import { TimerIcon } from './icons.js';

/**
 * The stopwatch in a disappearing message's time line; its tooltip says how long is left, counted
 * down on the clock every countdown on screen shares (only while the timer runs: before the
 * message is sent or read there is nothing to count).
 */
export function DisappearingTimerIcon({ message }: { message: Pick<MessageView, 'expiresInMs' | 'expiresAt' | 'own'> }) {
  const now = useSecondClock(message.expiresAt !== null);
  return (
    <span role="img" aria-label={t.disappearing.message} title={expiryWords(message, now)} className="message__timer">
      <TimerIcon size={12} />
    </span>
  );
}
