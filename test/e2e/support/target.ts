/**
 * What the end-to-end suite runs the app in (E2E_TARGET): `chromium`, the browser host in a
 * Chromium Playwright launches (the default), or `electron`, the Electron app through Playwright's
 * Electron runner. The same spec files run on both; whether the Electron target can run on this
 * machine is decided here, with the reason when it cannot, so it is reported by name, never
 * skipped in silence (scripts/run-tests.ts and the e2e global setup both say it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { electronVersion, findElectronBinary } from '../../../scripts/electron-native.js';

export const E2E_TARGETS = ['chromium', 'electron'] as const;
export type E2eTarget = (typeof E2E_TARGETS)[number];

type Env = Record<string, string | undefined>;

export function e2eTarget(env: Env = process.env): E2eTarget {
  const value = env.E2E_TARGET;
  if (value === undefined || value === '') return 'chromium';
  const target = E2E_TARGETS.find((known) => known === value);
  if (target === undefined) throw new Error(`E2E_TARGET=${value} is not a target: use one of ${E2E_TARGETS.join(', ')}.`);
  return target;
}

export type Availability = { available: true; executable: string } | { available: false; reason: string };

/** Where the electron package keeps its binary on each system when its path.txt does not say. */
const ELECTRON_EXECUTABLE: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'Electron.app/Contents/MacOS/Electron',
  win32: 'electron.exe',
};

/** The path findElectronBinary looks at (for saying where nothing was found). */
function expectedElectronBinary(repoRoot: string, env: Env, platform: NodeJS.Platform): string {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(path.join(repoRoot, 'package.json')).resolve('electron/package.json'));
  } catch {
    return path.join(repoRoot, 'node_modules', 'electron');
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
  return path.join(packageDir, 'dist', relative || (ELECTRON_EXECUTABLE[platform] ?? 'electron'));
}

/**
 * Whether the Electron target can run here: the electron package with its binary (it downloads
 * one when installed, which these machines cannot), and on Linux a display for its window.
 */
export function electronAvailability(
  repoRoot: string,
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
): Availability {
  if (electronVersion(repoRoot) === null) return { available: false, reason: 'the electron package is not installed' };
  const executable = findElectronBinary(repoRoot, env);
  if (executable === null)
    return { available: false, reason: `no Electron binary at ${expectedElectronBinary(repoRoot, env, platform)}` };
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return { available: false, reason: 'no display for its window (DISPLAY is not set; run it under xvfb-run)' };
  return { available: true, executable };
}

/** The line run-tests prints and the global setup fails with: "e2e target electron: …". */
export function describeAvailability(target: E2eTarget, availability: Availability): string {
  return availability.available
    ? `e2e target ${target}: available (${availability.executable})`
    : `e2e target ${target}: not available (${availability.reason})`;
}
