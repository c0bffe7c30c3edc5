import { t } from './index.js';

/**
 * What `make` builds for a locale (Intl formatters, which are slow to construct), built once per
 * locale and then reused: the returned function gives the one for the language in use now.
 */
export function perLocale<T>(make: (locale: string) => T): () => T {
  const made = new Map<string, T>();
  return () => {
    const locale = t.locale;
    let found = made.get(locale);
    if (found === undefined) {
      found = make(locale);
      made.set(locale, found);
    }
    return found;
  };
}
