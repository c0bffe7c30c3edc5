/**
 * This device's preferences (sync/app-api/preferences.ts): theme, language, notification previews,
 * Work offline and the devices calls use. Read from the core at start (null until then) and again
 * on its 'preferences' event (a change from the tray, or another window); a change shows at once
 * and is then what the core says. The theme is applied to the page here too (applyTheme), so the CSS can follow it.
 */
import type { Preferences, Theme } from '../../sync/app-api/preferences.js';
import { coalesce } from './coalesce.js';
import type { AppActions, StoreKit } from './types.js';

export function createPreferences(kit: StoreKit) {
  const { api, get, set } = kit;

  const refresh = coalesce(async () => {
    set({ preferences: await api.getPreferences({}) });
  });

  const actions: Pick<AppActions, 'setPreferences'> = {
    async setPreferences(change) {
      const before = get().preferences;
      if (before) set({ preferences: { ...before, ...change } });
      try {
        set({ preferences: await api.setPreferences(change) });
      } catch (error) {
        // Not taken (the disk is full, the host is gone): show what the core has.
        await refresh();
        throw error;
      }
    },
  };

  return { actions, refresh };
}

/** What the page needs to follow the theme: <html>, whose data-theme the CSS reads (styles/base.css). */
export interface ThemeRoot {
  dataset: Record<string, string | undefined>;
}

/** 'system' leaves the choice to prefers-color-scheme; 'light' and 'dark' force one. */
export function applyTheme(root: ThemeRoot, theme: Theme): void {
  if (root.dataset.theme !== theme) root.dataset.theme = theme;
}

/** Keeps <html data-theme> to the preference (the system's until it is known). Returns how to stop. */
export function followTheme(
  preferences: () => Preferences | null,
  watch: (listener: () => void) => () => void,
  root: ThemeRoot,
): () => void {
  const apply = () => applyTheme(root, preferences()?.theme ?? 'system');
  apply();
  return watch(apply);
}
