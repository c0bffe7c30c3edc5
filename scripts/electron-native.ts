/**
 * npm run electron:native: builds better-sqlite3-multiple-ciphers for the installed Electron's ABI, in a copy at
 * .electron-native/better-sqlite3-multiple-ciphers, so node_modules/better-sqlite3-multiple-ciphers stays built for Node (tests, the
 * browser host, the sync server). The unpackaged Electron app loads the copy's .node file through
 * better-sqlite3-multiple-ciphers's `nativeBinding` option; packaged apps get theirs rebuilt by electron-builder.
 *
 * Needs a C/C++ toolchain and network access to Electron's headers (https://electronjs.org/headers).
 * Skips the work when a stamp file says the copy is already built for this Electron version.
 */
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ELECTRON_NATIVE_DIR, ELECTRON_SQLITE_BINDING } from '../main/common/defaults.js';

const ELECTRON_HEADERS_URL = 'https://electronjs.org/headers';
const STAMP_FILE = '.electron-build.json';

interface Stamp {
  electron: string;
  betterSqlite3: string;
  platform: string;
  arch: string;
}

export class ElectronNativeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElectronNativeError';
  }
}

function packageDir(repoRoot: string, name: string): string | null {
  try {
    return path.dirname(createRequire(path.join(repoRoot, 'package.json')).resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function versionOf(dir: string): string {
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The installed electron package's version, or null when the package is absent. */
export function electronVersion(repoRoot: string): string | null {
  const dir = packageDir(repoRoot, 'electron');
  return dir ? versionOf(dir) : null;
}

/**
 * The Electron executable if one is installed, else null. Same lookup as the electron package's
 * own index.js (path.txt → dist/<path>, ELECTRON_OVERRIDE_DIST_PATH), but without its side effect:
 * requiring that module when the binary is missing starts a download.
 */
export function findElectronBinary(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = packageDir(repoRoot, 'electron');
  if (!dir) return null;
  const pathFile = path.join(dir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  let executable: string | null = null;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) executable = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
  else if (relative) executable = path.join(dir, 'dist', relative);
  return executable && existsSync(executable) ? executable : null;
}

export function electronBindingPath(repoRoot: string): string {
  return path.join(repoRoot, ...ELECTRON_SQLITE_BINDING);
}

function expectedStamp(repoRoot: string, electron: string): Stamp {
  const sqliteDir = packageDir(repoRoot, 'better-sqlite3-multiple-ciphers');
  if (!sqliteDir) throw new ElectronNativeError('better-sqlite3-multiple-ciphers is not installed in node_modules.');
  return { electron, betterSqlite3: versionOf(sqliteDir), platform: process.platform, arch: process.arch };
}

/** True when the copy exists and its stamp matches this Electron, better-sqlite3-multiple-ciphers, platform and arch. */
export function isElectronNativeCurrent(repoRoot: string, electron: string): boolean {
  const target = path.join(repoRoot, ELECTRON_NATIVE_DIR, 'better-sqlite3-multiple-ciphers');
  try {
    const stamp = JSON.parse(readFileSync(path.join(target, STAMP_FILE), 'utf8')) as Stamp;
    const expected = expectedStamp(repoRoot, electron);
    return (
      existsSync(electronBindingPath(repoRoot)) &&
      stamp.electron === expected.electron &&
      stamp.betterSqlite3 === expected.betterSqlite3 &&
      stamp.platform === expected.platform &&
      stamp.arch === expected.arch
    );
  } catch {
    return false;
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Makes sure .electron-native/better-sqlite3-multiple-ciphers is built for the installed Electron; returns the
 * path of its .node file. Throws ElectronNativeError with an explanation when it cannot.
 */
export async function ensureElectronNative(repoRoot: string, log: (line: string) => void = console.log): Promise<string> {
  const electron = electronVersion(repoRoot);
  if (!electron) throw new ElectronNativeError('The electron package is not installed (node_modules/electron is missing).');
  const binding = electronBindingPath(repoRoot);
  if (isElectronNativeCurrent(repoRoot, electron)) {
    log(`better-sqlite3-multiple-ciphers is already built for Electron ${electron}.`);
    return binding;
  }
  const source = packageDir(repoRoot, 'better-sqlite3-multiple-ciphers');
  const gyp = packageDir(repoRoot, 'node-gyp');
  if (!source) throw new ElectronNativeError('better-sqlite3-multiple-ciphers is not installed in node_modules.');
  if (!gyp)
    throw new ElectronNativeError(
      'node-gyp is not installed in node_modules; it is needed to rebuild better-sqlite3-multiple-ciphers.',
    );

  const nativeRoot = path.join(repoRoot, ELECTRON_NATIVE_DIR);
  const target = path.join(nativeRoot, 'better-sqlite3-multiple-ciphers');
  // Built beside the final place and moved in only when complete: a failed build never looks done.
  const staging = path.join(nativeRoot, `better-sqlite3-multiple-ciphers.building-${process.pid}`);
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(nativeRoot, { recursive: true });
  await fs.cp(source, staging, {
    recursive: true,
    // Node's build output and nested packages are not needed: the copy is rebuilt from source.
    filter: (file) => {
      const relative = path.relative(source, file).split(path.sep);
      return relative[0] !== 'build' && relative[0] !== 'node_modules';
    },
  });

  log(`Building better-sqlite3-multiple-ciphers for Electron ${electron} (${process.platform}-${process.arch})…`);
  // npm exports its config (e.g. nodedir, pointing at Node's headers) to scripts; none of it may
  // leak into a build that targets Electron's headers.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_config_(nodedir|target|runtime|disturl|dist_url|arch|build_from_source)$/i.test(key)) env[key] = value;
  }
  let code: number;
  try {
    code = await run(
      process.execPath,
      [
        path.join(gyp, 'bin', 'node-gyp.js'),
        'rebuild',
        '--release',
        `--target=${electron}`,
        '--runtime=electron',
        `--dist-url=${ELECTRON_HEADERS_URL}`,
        `--arch=${process.arch}`,
      ],
      staging,
      env,
    );
  } catch (error) {
    code = 1;
    log(error instanceof Error ? error.message : String(error));
  }
  if (code !== 0 || !existsSync(path.join(staging, 'build', 'Release', 'better_sqlite3.node'))) {
    await fs.rm(staging, { recursive: true, force: true });
    throw new ElectronNativeError(
      `Could not build better-sqlite3-multiple-ciphers for Electron ${electron} (node-gyp exited with code ${code}). ` +
        `This needs a C/C++ toolchain (Python, make, a compiler) and network access to ${ELECTRON_HEADERS_URL} ` +
        "to download Electron's headers. Fix that and run npm run electron:native again; meanwhile the browser " +
        'host works without it: npm run web -- --port 5173 --profile ./profile',
    );
  }
  const stamp = expectedStamp(repoRoot, electron);
  await fs.writeFile(path.join(staging, STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
  await fs.rm(target, { recursive: true, force: true });
  await fs.rename(staging, target);
  log(`Built ${binding}`);
  return binding;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  ensureElectronNative(repoRoot).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
