import { useId, useState } from 'react';
import { formatRecoveryKey } from '../../sync/app-api/account-keys-api.js';
import { t } from '../i18n/index.js';
import { copyText } from '../transport/clipboard.js';
import { SectionOutcome } from './SectionOutcome.js';

/** The recovery key in groups of four, to read or select, with "Copy". */
export function RecoveryKeyField({ recoveryKey }: { recoveryKey: string }) {
  const fieldId = useId();
  const [copied, setCopied] = useState<boolean | null>(null);
  const shown = formatRecoveryKey(recoveryKey);
  return (
    <div className="field">
      <label className="field__label" htmlFor={fieldId}>
        {t.recoveryKey.field}
      </label>
      <textarea
        id={fieldId}
        className="field__input recovery-key"
        readOnly
        rows={4}
        spellCheck={false}
        value={shown}
        onFocus={(event) => event.currentTarget.select()}
      />
      <button type="button" className="button button--secondary" onClick={() => void copyText(shown, window).then(setCopied)}>
        {t.recoveryKey.copy}
      </button>
      <SectionOutcome
        status={copied === true ? t.recoveryKey.copied : null}
        error={copied === false ? t.recoveryKey.copyFailed : null}
      />
    </div>
  );
}
