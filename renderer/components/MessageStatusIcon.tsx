import type { MessageStatus } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { CheckIcon, ClockIcon, DoubleCheckIcon, WarningIcon } from './icons.js';

const LABELS: Record<MessageStatus, string> = {
  sending: t.message.statusSending,
  sent: t.message.statusSent,
  delivered: t.message.statusDelivered,
  read: t.message.statusRead,
  failed: t.message.statusFailed,
};

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
  return (
    <span role="img" aria-label={LABELS[status]} title={LABELS[status]} className={`status status--${status}`}>
      <Glyph status={status} />
    </span>
  );
}
