/**
 * This device's preferences: how the app looks and behaves here, never synced to other devices
 * (unlike archive, mute or privacy, which are the person's and follow them). Declared once: the
 * core stores them (validated with this schema when read back), the hosts read them (notification
 * previews, Work offline in the tray), the renderer shows and changes them.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { tileTemplate } from '../common/map-tiles.js';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

/** The interface languages; 'system' follows the system's language (English when it is none of these). */
export const LANGUAGES = ['en', 'ru', 'uk'] as const;
export type Language = (typeof LANGUAGES)[number];
export type LanguageChoice = Language | 'system';

/** Device ids are the browser's opaque strings (64 hex characters in Chromium); anything longer is not one. */
export const MAX_DEVICE_ID_LENGTH = 512;
/** A chosen microphone, camera or speaker by its device id, or null for the system's default. */
const deviceChoice = z.string().min(1).max(MAX_DEVICE_ID_LENGTH).nullable();

export const preferencesSchema = z
  .object({
    theme: z.enum(THEMES),
    language: z.enum([...LANGUAGES, 'system']),
    /** "Show message text in notifications": off shows only who wrote. */
    notificationPreviews: z.boolean(),
    /** QA's switch: disconnected and kept offline until switched back, exactly as with no network. */
    workOffline: z.boolean(),
    /** Settings → Calls: the devices calls use here; a device that is gone falls back to the default. */
    microphoneId: deviceChoice,
    cameraId: deviceChoice,
    speakerId: deviceChoice,
    /**
     * Settings → "Maps": the tile server's URL template, or null for none (locations are then a
     * card with the coordinates, and there is no interactive map). The CSP allows its one origin.
     */
    mapTileUrl: tileTemplate.nullable(),
  })
  .strict();
export type Preferences = z.infer<typeof preferencesSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  language: 'system',
  notificationPreviews: true,
  workOffline: false,
  microphoneId: null,
  cameraId: null,
  speakerId: null,
  mapTileUrl: null,
};

/** What setPreferences takes: any of them, at least one. */
export const preferencesChange = preferencesSchema
  .partial()
  .refine((change) => Object.keys(change).length > 0, 'name at least one preference to change');
