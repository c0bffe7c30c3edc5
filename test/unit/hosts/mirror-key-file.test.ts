/** The browser host's keeper of the mirror key: a 0600 file of 64 hex characters, made once, never replaced. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadOrCreateKeyFile,
  MIRROR_KEY_FILE,
  MirrorKeyFileError,
  writeNewPrivateFile,
} from '../../../main/common/mirror-key-file.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-key-file-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('the mirror key file', () => {
  it('is made once, 0600 in a 0700 profile whatever the umask, 64 hex characters, and read back the same', () => {
    const profile = join(tempDir(), 'profile');
    const umask = process.umask(0o000);
    let key: Buffer;
    try {
      key = loadOrCreateKeyFile(profile);
    } finally {
      process.umask(umask);
    }
    const path = join(profile, MIRROR_KEY_FILE);
    expect(key).toHaveLength(32);
    expect(readFileSync(path, 'latin1')).toBe(key.toString('hex'));
    expect(mode(path)).toBe('600');
    expect(mode(profile)).toBe('700');
    expect(loadOrCreateKeyFile(profile).equals(key)).toBe(true);
    // Nothing left beside it from writing it.
    expect(readdirSync(profile)).toEqual([MIRROR_KEY_FILE]);
  });

  it.each([
    ['empty', ''],
    ['too short', 'ab'.repeat(31)],
    ['not hex', 'zz'.repeat(32)],
    ['with a newline', `${'ab'.repeat(32)}\n`],
  ])('refuses a malformed file (%s) and leaves it as it is', (_what, content) => {
    const profile = tempDir();
    const path = join(profile, MIRROR_KEY_FILE);
    writeFileSync(path, content);
    expect(() => loadOrCreateKeyFile(profile)).toThrow(MirrorKeyFileError);
    expect(readFileSync(path, 'latin1')).toBe(content);
  });

  it('never writes over a file already there (another start made it a moment before)', () => {
    const path = join(tempDir(), MIRROR_KEY_FILE);
    writeFileSync(path, 'first');
    expect(writeNewPrivateFile(path, 'second')).toBe(false);
    expect(readFileSync(path, 'latin1')).toBe('first');
  });

  it('tightens a key file others could read', () => {
    const profile = tempDir();
    const path = join(profile, MIRROR_KEY_FILE);
    writeFileSync(path, 'cd'.repeat(32), { mode: 0o644 });
    expect(loadOrCreateKeyFile(profile).toString('hex')).toBe('cd'.repeat(32));
    expect(mode(path)).toBe('600');
  });
});
