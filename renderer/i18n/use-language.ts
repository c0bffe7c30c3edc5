import { useSyncExternalStore } from 'react';
import type { Language } from '../../sync/app-api/preferences.js';
import { currentLanguage, subscribeLanguage } from './index.js';

/**
 * The language in use, re-rendering the caller when it changes. The root calls it so that the whole
 * tree renders again with the new `t` (state kept: nothing remounts); a memo() component calls it
 * too, as equal props would otherwise keep its old words (test/unit/renderer/i18n checks that).
 */
export function useLanguage(): Language {
  return useSyncExternalStore(subscribeLanguage, currentLanguage, currentLanguage);
}
