/**
 * What may and may not be in the packaged app, as pure functions over the asar's file list
 * (paths as @electron/asar lists them: "/dist/main/x.cjs"), so each rule is unit-tested on its own
 * (test/unit/packaging/asar-rules.test.ts) and the packaging check applies them to the real asar.
 */
import { isBuiltin } from 'node:module';

/** The only top-level entries the app needs: the bundles, the externals and the manifest. */
export const ALLOWED_TOP_LEVEL = ['dist', 'node_modules', 'package.json'];

const SOURCE = /\.(ts|tsx|mts|cts|jsx)$/;
const SOURCE_MAP = /\.map$/;
const TEST_DIR = /\/(test|tests|__tests__|__mocks__|spec)\//;
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/** Package names ("ws", "@scope/name") of every package folder in the list, nested ones too. */
export function packagedPackages(files: readonly string[]): string[] {
  const names = new Set<string>();
  for (const file of files) {
    for (const match of file.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\/package\.json$/g)) names.add(match[1]!);
  }
  return [...names].sort();
}

/** One line per file that must not ship, saying why; empty when the list is clean. */
export function forbiddenFiles(files: readonly string[], devDependencies: readonly string[]): string[] {
  const dev = new Set(devDependencies);
  const problems: string[] = [];
  for (const file of files) {
    const top = file.split('/')[1] ?? '';
    if (!ALLOWED_TOP_LEVEL.includes(top)) problems.push(`outside dist/, node_modules/ and package.json: ${file}`);
    if (SOURCE.test(file)) problems.push(`source file: ${file}`);
    if (SOURCE_MAP.test(file)) problems.push(`source map: ${file}`);
    if (TEST_DIR.test(`${file}/`) || TEST_FILE.test(file)) problems.push(`test: ${file}`);
  }
  for (const name of packagedPackages(files)) {
    if (dev.has(name)) problems.push(`dev dependency: ${name}`);
  }
  return problems;
}

/** The package a require() specifier loads: "ws/lib/x" → "ws", "@a/b/c" → "@a/b". */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Packages a CommonJS bundle loads from node_modules at run time: its literal require() calls,
 * less Node's built-ins and Electron (which the runtime provides).
 */
export function runtimeRequires(bundle: string): string[] {
  const packages = new Set<string>();
  for (const match of bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) {
    const specifier = match[1]!;
    if (isBuiltin(specifier) || specifier.startsWith('.') || specifier.startsWith('/')) continue;
    const name = packageOf(specifier);
    if (name !== 'electron') packages.add(name);
  }
  return [...packages].sort();
}
