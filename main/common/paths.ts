/** Locating built files at run time, whether running from dist/ (bundled, CommonJS) or from source via tsx. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT } from './defaults.js';

/**
 * The dist/ folder next to a running module: for a bundle in dist/main/ that is its parent; for a
 * source file under main/ it is <repo>/dist. `moduleUrl` is the caller's import.meta.url (the build
 * defines it for CommonJS bundles).
 */
export function distDirFor(moduleUrl: string): string {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < 6; i++) {
    if (path.basename(dir) === 'dist') return dir;
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist');
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`Cannot locate the dist/ folder from ${moduleUrl}`);
}

export function builtPath(distDir: string, file: keyof typeof BUILT): string {
  return path.join(distDir, ...BUILT[file].split('/'));
}
