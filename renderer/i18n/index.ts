/**
 * The language in use. `t` is a live binding: every module reads `t.group.key` at render time,
 * and setLanguage() swaps the object behind it, then tells its subscribers (the root component and
 * memoised ones, through useLanguage) to render again with the new words.
 */
import type { Language } from '../../sync/app-api/preferences.js';
import { en, type Strings } from './en.js';
import { ru } from './ru.js';
import { uk } from './uk.js';

export const LANGUAGE_STRINGS: Readonly<Record<Language, Strings>> = { en, ru, uk };

export let t: Strings = en;
let current: Language = 'en';
const listeners = new Set<() => void>();

export function currentLanguage(): Language {
  return current;
}

/** Puts `language`'s words in `t` and tells the subscribers; nothing happens when it is in use already. */
export function setLanguage(language: Language): void {
  if (language === current) return;
  current = language;
  t = LANGUAGE_STRINGS[language];
  for (const listener of [...listeners]) listener();
}

export function subscribeLanguage(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type { Strings };
