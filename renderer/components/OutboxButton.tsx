import { useState } from 'react';
import { t } from '../i18n/index.js';
import { OutboxDialog } from './OutboxDialog.js';

/** Settings → "Outbox": opens the outbox inspector. */
export function OutboxButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button button--secondary" onClick={() => setOpen(true)}>
        {t.outbox.open}
      </button>
      {open && <OutboxDialog onClose={() => setOpen(false)} />}
    </>
  );
}
