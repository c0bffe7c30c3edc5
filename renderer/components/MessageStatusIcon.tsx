import type { MessageStatus } from '../../sync/app-api/contract.js';
import { t, type Strings } from '../i18n/index.js';
import { CheckIcon, ClockIcon, DoubleCheckIcon, WarningIcon } from './icons.js';

/** Keys, not words: `t` is read when rendering, in the language in use then. */
const LABELS = {
  sending: 'statusSending',
  sent: 'statusSent',
  delivered: 'statusDelivered',
  read: 'statusRead',
  failed: 'statusFailed',
} as const satisfies Record<MessageStatus, keyof Strings['message']>;

function Glyph({ status }: { status: MessageStatus }) {
  switch (status) {
    case 'sending':
      return <ClockIcon size={14} />;
    case 'sent':
      return <CheckIcon size={14} />;
    case 'delivered':
    case 'read':
      return <DoubleCheckIcon size={16} />;
    case 'failed':
      return <WarningIcon size={14} />;
  }
}

/** Clock, one check, two checks, two blue checks, or a warning; named for screen readers. */
export function MessageStatusIcon({ status }: { status: MessageStatus }) {
  const label = t.message[LABELS[status]];
  return (
    <span role="img" aria-label={label} title={label} className={`status status--${status}`}>
      <Glyph status={status} />
    </span>
  );
}
