/**
 * The configuration the packaging check hands electron-builder: electron-builder.yml as
 * `npm run dist` reads it, with only what this machine cannot do (or must not touch) changed:
 *   - dist/ comes from the check's own production build in a temporary folder, so the check
 *     never races anything that uses the repository's dist/ (the yml's dist/ patterns still
 *     apply, to that folder);
 *   - the output goes to a temporary folder, not release/;
 *   - Electron is the stand-in distribution (stand-in-electron.ts) at the installed version;
 *   - npmRebuild is off: rebuilding better-sqlite3 for Electron downloads Electron's headers.
 *     The package gets node_modules' own build (for Node), which the check can load.
 * Fuses stay on: electron-builder flips them in the stand-in as in a real binary.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getConfig } from 'app-builder-lib/out/util/config/config.js';
import type { Configuration, FileSet } from 'app-builder-lib';

export interface CheckPaths {
  /** A production build (scripts/build.ts), packaged as dist/. */
  distDir: string;
  electronDist: string;
  outputDir: string;
}

export const CONFIG_FILE = 'electron-builder.yml';
const DIST_PATTERN = /^(!?)dist\//;

export function installedElectronVersion(rootDir: string): string {
  const manifest = JSON.parse(readFileSync(path.join(rootDir, 'node_modules', 'electron', 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  if (typeof manifest.version !== 'string') throw new Error('node_modules/electron/package.json has no version.');
  return manifest.version;
}

/**
 * electron-builder normalises `files` into FileSets; the app's own patterns are in those without
 * from/to. Their dist/ patterns move to one FileSet reading from distDir (same order, prefix off).
 */
function filesFromDist(files: Configuration['files'], distDir: string): FileSet[] {
  const sets = (Array.isArray(files) ? files : files == null ? [] : [files]).map((item) =>
    typeof item === 'string' ? { filter: [item] } : item,
  );
  const distFilter: string[] = [];
  const result = sets.map((set) => {
    if (set.from != null || set.to != null) return set;
    const filter = set.filter == null ? [] : Array.isArray(set.filter) ? set.filter : [set.filter];
    distFilter.push(
      ...filter.filter((pattern) => DIST_PATTERN.test(pattern)).map((pattern) => pattern.replace(DIST_PATTERN, '$1')),
    );
    return { ...set, filter: filter.filter((pattern) => !DIST_PATTERN.test(pattern)) };
  });
  if (distFilter.length === 0) throw new Error(`${CONFIG_FILE} packages nothing from dist/.`);
  return [...result, { from: distDir, to: 'dist', filter: distFilter }];
}

export async function packagingCheckConfig(rootDir: string, paths: CheckPaths): Promise<Configuration> {
  const config = await getConfig(rootDir, path.join(rootDir, CONFIG_FILE), null);
  return {
    ...config,
    files: filesFromDist(config.files, paths.distDir),
    directories: { ...config.directories, output: paths.outputDir },
    electronDist: paths.electronDist,
    electronVersion: installedElectronVersion(rootDir),
    npmRebuild: false,
  };
}
