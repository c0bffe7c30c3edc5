import type { LanguageChoice } from '../../sync/app-api/preferences.js';
import { currentLanguage, setLanguage } from './index.js';
import { pickLanguage } from './pick.js';

/** What following the language needs of the page: `window`, or a stand-in in tests. */
export interface LanguageHost {
  navigator: { readonly languages: readonly string[] };
  document: { documentElement: { lang: string } };
  addEventListener(type: 'languagechange', listener: () => void): void;
  removeEventListener(type: 'languagechange', listener: () => void): void;
}

/**
 * Keeps the interface language to the device preference, or with 'system' to the system's
 * languages (re-checked when they change), and `<html lang>` to match. `watch` calls its listener
 * whenever the preference may have changed. Returns a function that stops following.
 */
export function followLanguage(
  preference: () => LanguageChoice,
  watch: (listener: () => void) => () => void,
  host: LanguageHost,
): () => void {
  const apply = () => {
    setLanguage(pickLanguage(preference(), host.navigator.languages));
    const root = host.document.documentElement;
    if (root.lang !== currentLanguage()) root.lang = currentLanguage();
  };
  apply();
  const unwatch = watch(apply);
  host.addEventListener('languagechange', apply);
  return () => {
    unwatch();
    host.removeEventListener('languagechange', apply);
  };
}
