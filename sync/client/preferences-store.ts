/**
 * This device's preferences (sync/app-api/preferences.ts), kept in a small JSON file in the profile
 * folder rather than in the mirror: they must be there signed out, after signing out or switching
 * accounts (which wipes the mirror), and on the recovery screen (when the mirror cannot be opened).
 * Written whole to a temporary file and renamed over the old one, so a crash leaves one or the other.
 * What is read back is validated field by field: a damaged or foreign value falls back to its
 * default (and is reported), never stopping the app, and the others are kept.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import { AppApiError, type LastAccount } from '../app-api/contract.js';
import { DEFAULT_PREFERENCES, preferencesSchema, type Preferences } from '../app-api/preferences.js';
import type { Logger } from '../common/logger.js';
import { writeFileAtomically } from '../node/private-files.js';
import { readLastAccount, writeLastAccount } from './last-account.js';

export const PREFERENCES_FILE = 'preferences.json';

export interface PreferencesStartOptions {
  /** `--offline`: Work offline is switched on (and stays on) before anything connects. */
  workOffline?: boolean;
  /** Told what was wrong with the file when its contents could not all be used (reportTo: the core's log). */
  onProblem: (problem: string) => void;
}

/** Reports a preferences file that could not all be used to the core's log. */
export function reportTo(logger: Logger | undefined): (problem: string) => void {
  return (problem) => logger?.warn('preferences: using the defaults for what could not be read', { problem });
}

export class PreferencesStore {
  private constructor(
    private readonly path: string,
    private preferences: Preferences,
  ) {}

  /** Reads the profile's preferences (defaults when there are none yet); applies the start options. */
  static open(profileDir: string, { workOffline, onProblem }: PreferencesStartOptions): PreferencesStore {
    const path = join(profileDir, PREFERENCES_FILE);
    const store = new PreferencesStore(path, readPreferences(path, onProblem));
    if (workOffline && !store.current.workOffline) store.change({ workOffline: true });
    return store;
  }

  get current(): Preferences {
    return this.preferences;
  }

  /** The account last signed in on this device (last-account.ts), which the sign-in screen offers. */
  lastAccount(): LastAccount | null {
    return readLastAccount(dirname(this.path));
  }

  rememberAccount(account: LastAccount): void {
    writeLastAccount(dirname(this.path), account);
  }

  /** Applies the change and writes it; on a failed write (a full disk) nothing changes and it throws. */
  change(change: Partial<Preferences>): Preferences {
    const parsed = preferencesSchema.safeParse({ ...this.preferences, ...change });
    if (!parsed.success) throw new AppApiError('invalid_argument', parsed.error.issues[0]?.message ?? 'Not a preference.');
    writeFileAtomically(this.path, `${JSON.stringify(parsed.data, null, 2)}\n`);
    this.preferences = parsed.data;
    return parsed.data;
  }
}

/** Which preferences differ between the two. */
export function changedPreferences(before: Preferences, after: Preferences): (keyof Preferences)[] {
  return (Object.keys(after) as (keyof Preferences)[]).filter((key) => before[key] !== after[key]);
}

/** The file's preferences; each one missing or unusable is its default (unusable ones reported). */
export function readPreferences(path: string, onProblem: (problem: string) => void): Preferences {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') onProblem(`cannot read ${path}: ${String(error)}`);
    return DEFAULT_PREFERENCES;
  }
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    onProblem(`${path} is not JSON; using the default preferences`);
    return DEFAULT_PREFERENCES;
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    onProblem(`${path} does not hold an object; using the default preferences`);
    return DEFAULT_PREFERENCES;
  }
  const fields: Readonly<Record<string, z.ZodTypeAny>> = preferencesSchema.shape;
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(stored)) {
    if (Object.hasOwn(fields, key) && fields[key]?.safeParse(value).success) kept[key] = value;
    else dropped.push(key);
  }
  if (dropped.length > 0) onProblem(`${path}: ignoring ${dropped.join(', ')} (unknown or not a valid value)`);
  // Checked whole as well: the schema, not this loop, has the last word on what a preference is.
  return preferencesSchema.parse({ ...DEFAULT_PREFERENCES, ...kept });
}
