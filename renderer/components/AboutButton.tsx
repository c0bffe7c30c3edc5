import { useState } from 'react';
import { t } from '../i18n/index.js';
import { AboutDialog } from './AboutDialog.js';

/** Settings → "About": opens the dialog listing the app's versions. */
export function AboutButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button button--secondary" onClick={() => setOpen(true)}>
        {t.about.open}
      </button>
      {open && <AboutDialog onClose={() => setOpen(false)} />}
    </>
  );
}
