import { LANGUAGES, type Language, type LanguageChoice } from '../../sync/app-api/preferences.js';

/**
 * The language to show: the device preference, or with 'system' the first of the system's
 * languages (navigator.languages, most preferred first) that the app speaks, by its primary
 * subtag ("uk-UA" → uk, "ru" → ru); English when it speaks none of them.
 */
export function pickLanguage(choice: LanguageChoice, systemLanguages: readonly string[]): Language {
  if (choice !== 'system') return choice;
  for (const tag of systemLanguages) {
    const primary = tag.split(/[-_]/u)[0]?.toLowerCase();
    const spoken = LANGUAGES.find((language) => language === primary);
    if (spoken) return spoken;
  }
  return 'en';
}
