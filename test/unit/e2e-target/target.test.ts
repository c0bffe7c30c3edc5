import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { describeAvailability, e2eTarget, electronAvailability } from '../../e2e/support/target.js';

describe('E2E_TARGET', () => {
  test('is chromium unless it names electron', () => {
    expect(e2eTarget({})).toBe('chromium');
    expect(e2eTarget({ E2E_TARGET: '' })).toBe('chromium');
    expect(e2eTarget({ E2E_TARGET: 'chromium' })).toBe('chromium');
    expect(e2eTarget({ E2E_TARGET: 'electron' })).toBe('electron');
  });

  test('anything else is refused with the targets there are, not run as the default', () => {
    expect(() => e2eTarget({ E2E_TARGET: 'firefox' })).toThrow(
      'E2E_TARGET=firefox is not a target: use one of chromium, electron.',
    );
    expect(() => e2eTarget({ E2E_TARGET: 'Electron' })).toThrow('not a target');
  });
});

describe('whether the electron target can run', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  /** A repository whose node_modules holds an electron package, with or without its binary. */
  function repo(electron: { installed: boolean; pathTxt?: string; binary?: string }): string {
    const root = mkdtempSync(join(tmpdir(), 'e2e-target-'));
    roots.push(root);
    writeFileSync(join(root, 'package.json'), '{"name":"app","private":true}');
    if (!electron.installed) return root;
    const dir = join(root, 'node_modules', 'electron');
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"electron","version":"45.4.1"}');
    if (electron.pathTxt !== undefined) writeFileSync(join(dir, 'path.txt'), electron.pathTxt);
    if (electron.binary !== undefined) writeFileSync(join(dir, 'dist', electron.binary), '');
    return root;
  }

  test('not without the electron package', () => {
    const availability = electronAvailability(repo({ installed: false }), { DISPLAY: ':0' }, 'linux');
    expect(describeAvailability('electron', availability)).toBe(
      'e2e target electron: not available (the electron package is not installed)',
    );
  });

  test('not when the package never got its binary (no path.txt: its download did not run), naming where it should be', () => {
    const root = repo({ installed: true });
    const binary = join(root, 'node_modules', 'electron', 'dist', 'electron');
    expect(describeAvailability('electron', electronAvailability(root, { DISPLAY: ':0' }, 'linux'))).toBe(
      `e2e target electron: not available (no Electron binary at ${binary})`,
    );
    const mac = join(root, 'node_modules', 'electron', 'dist', 'Electron.app/Contents/MacOS/Electron');
    expect(electronAvailability(root, {}, 'darwin')).toEqual({ available: false, reason: `no Electron binary at ${mac}` });
  });

  test('not when path.txt names a binary that is not there', () => {
    const root = repo({ installed: true, pathTxt: 'electron' });
    const binary = join(root, 'node_modules', 'electron', 'dist', 'electron');
    expect(electronAvailability(root, { DISPLAY: ':0' }, 'linux')).toEqual({
      available: false,
      reason: `no Electron binary at ${binary}`,
    });
  });

  test('with the binary: on Linux only with a display for its window', () => {
    const root = repo({ installed: true, pathTxt: 'electron', binary: 'electron' });
    const binary = join(root, 'node_modules', 'electron', 'dist', 'electron');
    expect(electronAvailability(root, {}, 'linux')).toEqual({
      available: false,
      reason: 'no display for its window (DISPLAY is not set; run it under xvfb-run)',
    });
    expect(electronAvailability(root, { DISPLAY: ':99' }, 'linux')).toEqual({ available: true, executable: binary });
    expect(electronAvailability(root, { WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toEqual({
      available: true,
      executable: binary,
    });
    expect(electronAvailability(root, {}, 'win32')).toEqual({ available: true, executable: binary });
    expect(describeAvailability('electron', { available: true, executable: binary })).toBe(
      `e2e target electron: available (${binary})`,
    );
  });

  test('ELECTRON_OVERRIDE_DIST_PATH is where the binary is looked for, as the electron package does', () => {
    const root = repo({ installed: true, pathTxt: 'electron' });
    const elsewhere = mkdtempSync(join(tmpdir(), 'e2e-target-dist-'));
    roots.push(elsewhere);
    const env = { DISPLAY: ':0', ELECTRON_OVERRIDE_DIST_PATH: elsewhere };
    expect(electronAvailability(root, env, 'linux')).toEqual({
      available: false,
      reason: `no Electron binary at ${join(elsewhere, 'electron')}`,
    });
    writeFileSync(join(elsewhere, 'electron'), '');
    expect(electronAvailability(root, env, 'linux')).toEqual({ available: true, executable: join(elsewhere, 'electron') });
  });
});
