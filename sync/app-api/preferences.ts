/**
 * This device's preferences: how the app looks and behaves here, never synced to other devices
 * (unlike archive, mute or privacy, which are the person's and follow them). Declared once: the
 * core stores them (validated with this schema when read back), the hosts read them (notification
 * previews, Work offline in the tray), the renderer shows and changes them.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

/** The interface languages; 'system' follows the system's language (English when it is none of these). */
export const LANGUAGES = ['en', 'ru', 'uk'] as const;
export type Language = (typeof LANGUAGES)[number];
export type LanguageChoice = Language | 'system';

export const preferencesSchema = z
  .object({
    theme: z.enum(THEMES),
    language: z.enum([...LANGUAGES, 'system']),
    /** "Show message text in notifications": off shows only who wrote. */
    notificationPreviews: z.boolean(),
    /** QA's switch: disconnected and kept offline until switched back, exactly as with no network. */
    workOffline: z.boolean(),
  })
  .strict();
export type Preferences = z.infer<typeof preferencesSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  language: 'system',
  notificationPreviews: true,
  workOffline: false,
};

/** What setPreferences takes: any of them, at least one. */
export const preferencesChange = preferencesSchema
  .partial()
  .refine((change) => Object.keys(change).length > 0, 'name at least one preference to change');
