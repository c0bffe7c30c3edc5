/**
 * RecoveryKeyRestore's behaviour without a DOM: the store's action hands the recovery key as typed
 * to the core, and each answer (a restore, each outcome that restored nothing, a failure) is worded
 * from the language files, the field and button with the names the "Link this device" screen uses.
 */
import { describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { RESTORE_OUTCOMES } from '../../../sync/app-api/key-backup-api.js';
import { tryRestore } from '../../../renderer/components/recovery-key-restore.js';
import { en } from '../../../renderer/i18n/en.js';
import { LANGUAGE_STRINGS } from '../../../renderer/i18n/index.js';
import { FakeApi, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();
const TYPED = 'abcd efgh ijkl mnop qrst uvwx yz01 2345 6789 abcd efgh ijkl mnop qrst uvwx yz01';

describe('restoring with the recovery key', () => {
  it('names its field and button as the screen expects', () => {
    expect(en.recoveryKeyRestore.field).toBe('Recovery key');
    expect(en.recoveryKeyRestore.restore).toBe('Restore');
  });

  it('hands the key as typed to the core and says it is restored', async () => {
    const api = new FakeApi();
    const store = await start(api);
    const result = await tryRestore(store.getState().actions.restoreFromRecoveryKey, TYPED);
    expect(api.callsOf('restoreFromRecoveryKey')).toEqual([{ recoveryKey: TYPED }]);
    expect(result).toEqual({ restored: true, status: en.recoveryKeyRestore.restored, error: null });
  });

  it('words each outcome that restored nothing as an alert', async () => {
    const api = new FakeApi();
    const store = await start(api);
    for (const outcome of RESTORE_OUTCOMES.filter((each) => each !== 'restored')) {
      api.restoreAnswer = outcome;
      const result = await tryRestore(store.getState().actions.restoreFromRecoveryKey, TYPED);
      expect(result, outcome).toEqual({ restored: false, status: null, error: en.recoveryKeyRestore.outcomes[outcome] });
    }
    expect(en.recoveryKeyRestore.outcomes.wrong_recovery_key).toMatch(/recovery key/);
  });

  it('says why when the call fails (offline)', async () => {
    const api = new FakeApi();
    api.restoreAnswer = new AppApiError('offline', 'needs a connection');
    const store = await start(api);
    const result = await tryRestore(store.getState().actions.restoreFromRecoveryKey, TYPED);
    expect(result).toEqual({ restored: false, status: null, error: en.recoveryKeyRestore.failed(en.errors.offline) });
  });

  it('has words for every outcome in every language', () => {
    for (const [language, strings] of Object.entries(LANGUAGE_STRINGS)) {
      for (const outcome of RESTORE_OUTCOMES.filter((each) => each !== 'restored')) {
        expect(strings.recoveryKeyRestore.outcomes[outcome], `${language} ${outcome}`).toMatch(/\S/);
      }
      expect(strings.refusals.backup_version_mismatch, language).toMatch(/\S/);
    }
  });
});
