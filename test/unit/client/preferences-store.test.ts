import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, MAX_DEVICE_ID_LENGTH, type Preferences } from '../../../sync/app-api/preferences.js';
import { PREFERENCES_FILE, PreferencesStore, readPreferences } from '../../../sync/client/preferences-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function profile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'preferences-'));
  dirs.push(dir);
  return dir;
}

/** Opens the store on `dir`, collecting what it reports instead of printing it. */
function open(dir: string, workOffline = false): { store: PreferencesStore; problems: string[] } {
  const problems: string[] = [];
  const store = PreferencesStore.open(dir, { workOffline, onProblem: (problem) => problems.push(problem) });
  return { store, problems };
}

describe('this device’s preferences on disk', () => {
  it('are the defaults in a new profile, without writing anything', () => {
    const dir = profile();
    const { store, problems } = open(dir);
    expect(store.current).toEqual(DEFAULT_PREFERENCES);
    expect(problems).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a change is written at once, for the owner alone, and read back by the next start', () => {
    const dir = profile();
    const changed = open(dir).store.change({ theme: 'dark', language: 'uk' });
    expect(changed).toEqual({ ...DEFAULT_PREFERENCES, theme: 'dark', language: 'uk' });
    expect(statSync(join(dir, PREFERENCES_FILE)).mode & 0o777).toBe(0o600);
    // Whole-file replacement through a temporary file, which is gone afterwards.
    expect(readdirSync(dir)).toEqual([PREFERENCES_FILE]);
    const { store, problems } = open(dir);
    expect(store.current).toEqual(changed);
    expect(problems).toEqual([]);
  });

  it('refuses a value that is not a preference, and keeps what it had', () => {
    const dir = profile();
    const { store } = open(dir);
    store.change({ theme: 'light' });
    expect(() => store.change({ theme: 'sepia' } as unknown as Partial<Preferences>)).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => store.change({ colour: 'red' } as unknown as Partial<Preferences>)).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(store.current.theme).toBe('light');
    expect(open(dir).store.current.theme).toBe('light');
  });

  it('the --offline start option switches Work offline on, and it stays on at the next start without it', () => {
    const dir = profile();
    expect(open(dir, true).store.current.workOffline).toBe(true);
    expect(open(dir).store.current.workOffline).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['torn JSON', '{"theme": "da'],
    ['not an object', '["dark"]'],
    ['null', 'null'],
  ])('a corrupt file (%s) gives the defaults and is reported, never a crash', (_what, contents) => {
    const dir = profile();
    writeFileSync(join(dir, PREFERENCES_FILE), contents);
    const { store, problems } = open(dir);
    expect(store.current).toEqual(DEFAULT_PREFERENCES);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(PREFERENCES_FILE);
    // And it can be written over.
    expect(store.change({ theme: 'dark' }).theme).toBe('dark');
    expect(JSON.parse(readFileSync(join(dir, PREFERENCES_FILE), 'utf8'))).toEqual({ ...DEFAULT_PREFERENCES, theme: 'dark' });
  });

  it('keeps the valid values of a damaged file, uses the default for each invalid or unknown one, and names them', () => {
    const dir = profile();
    writeFileSync(
      join(dir, PREFERENCES_FILE),
      JSON.stringify({ theme: 'dark', language: 'klingon', notificationPreviews: 'yes', workOffline: true, fontSize: 14 }),
    );
    const problems: string[] = [];
    const read = readPreferences(join(dir, PREFERENCES_FILE), (problem) => problems.push(problem));
    expect(read).toEqual({ ...DEFAULT_PREFERENCES, theme: 'dark', workOffline: true });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/language, notificationPreviews, fontSize/);
  });

  it('the chosen call devices are written and read back, and each may go back to the default (null)', () => {
    const dir = profile();
    const chosen = { microphoneId: 'mic-usb', cameraId: 'a'.repeat(64), speakerId: 'headphones' };
    expect(open(dir).store.change(chosen)).toEqual({ ...DEFAULT_PREFERENCES, ...chosen });
    const { store, problems } = open(dir);
    expect(store.current).toEqual({ ...DEFAULT_PREFERENCES, ...chosen });
    expect(problems).toEqual([]);
    expect(store.change({ cameraId: null })).toEqual({ ...DEFAULT_PREFERENCES, ...chosen, cameraId: null });
    expect(open(dir).store.current.cameraId).toBeNull();
  });

  it('refuses a device id that is empty or longer than a device id can be', () => {
    const { store } = open(profile());
    for (const microphoneId of ['', 'x'.repeat(MAX_DEVICE_ID_LENGTH + 1)]) {
      expect(() => store.change({ microphoneId })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
    expect(store.change({ microphoneId: 'x'.repeat(MAX_DEVICE_ID_LENGTH) }).microphoneId).toHaveLength(MAX_DEVICE_ID_LENGTH);
  });

  it('a stored garbage device id falls back to the default and is reported; the other devices are kept', () => {
    const dir = profile();
    writeFileSync(
      join(dir, PREFERENCES_FILE),
      JSON.stringify({ ...DEFAULT_PREFERENCES, microphoneId: 'mic-usb', cameraId: { id: 7 }, speakerId: 'headphones' }),
    );
    const { store, problems } = open(dir);
    expect(store.current).toEqual({ ...DEFAULT_PREFERENCES, microphoneId: 'mic-usb', cameraId: null, speakerId: 'headphones' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/ignoring cameraId /);
  });

  it('a file from before a preference existed gets that preference’s default, silently', () => {
    const dir = profile();
    writeFileSync(join(dir, PREFERENCES_FILE), JSON.stringify({ theme: 'light' }));
    const { store, problems } = open(dir);
    expect(store.current).toEqual({ ...DEFAULT_PREFERENCES, theme: 'light' });
    expect(problems).toEqual([]);
  });

  it('a value that only looks like a key of the object (__proto__) is not taken for a preference', () => {
    const dir = profile();
    writeFileSync(join(dir, PREFERENCES_FILE), '{"__proto__": {"theme": "dark"}, "toString": true}');
    const { store, problems } = open(dir);
    expect(store.current).toEqual(DEFAULT_PREFERENCES);
    expect(problems).toHaveLength(1);
  });
});
