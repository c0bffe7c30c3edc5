/**
 * npm run build: bundles everything that runs into dist/ with esbuild.
 *   dist/renderer/{index.html, app.js, app.css, assets…}  renderer/main.tsx (+ index.html, renderer/public/*)
 *   dist/renderer/emoji/en/{data,messages}.json           the emoji picker's data (emojibase-data), served locally
 *   dist/renderer/maplibre/*                              maplibre-gl, its worker and stylesheet (the interactive map), served locally
 *   dist/main/electron-main.cjs                           main/electron/electron-main.ts
 *   dist/preload/preload.cjs                              preload/preload.ts (sandboxed: one file, only electron external)
 *   dist/main/core-worker.cjs                             main/node/core-worker.ts (worker thread entry)
 *   dist/main/browser-cli.cjs                             main/browser/cli.ts (npm run web)
 *   dist/main/tray/*.png                                  tray icon and taskbar overlays (main/electron/tray-art.ts)
 * Production (minified, no source maps, and the Electron host without DevTools: main/electron/release-build.ts)
 * with --production or NODE_ENV=production.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import * as esbuild from 'esbuild';
import { BUILT } from '../main/common/defaults.js';
import { TRAY_ART_DIR, trayArt } from '../main/electron/tray-art.js';
import { EMOJI_DATA_DIR, EMOJI_DATA_FILES } from '../renderer/format/emoji-data.js';
import { MAPLIBRE_DIR, MAPLIBRE_FILES } from '../renderer/map/maplibre-files.js';

export interface BuildOptions {
  /** Repository root (sources are read from here). */
  rootDir: string;
  /** Output folder, normally <root>/dist. Emptied first. */
  outDir: string;
  production: boolean;
  /** Overrides for building a renderer from elsewhere (tests, a trivial stand-in). */
  rendererEntry?: string;
  rendererHtml?: string;
}

/** Node-side packages loaded from node_modules at run time rather than bundled (native, or optional natives). */
const NODE_EXTERNALS = [
  'electron',
  'better-sqlite3-multiple-ciphers',
  'ws',
  'bufferutil',
  'utf-8-validate',
  // Native, and loaded on first use only (sync/client/crypto/signal-library.ts).
  '@signalapp/libsignal-client',
  // Native (libvips), and loaded on first use only: stickers and map snapshots.
  'sharp',
];

/** The emoji picker's data, copied (not bundled: loaded when the picker first opens) next to the page. */
async function copyEmojiData(rootDir: string, rendererOut: string): Promise<void> {
  const source = path.join(rootDir, 'node_modules', 'emojibase-data', ...EMOJI_DATA_DIR.split('/').slice(1));
  const target = path.join(rendererOut, ...EMOJI_DATA_DIR.split('/'));
  await fs.mkdir(target, { recursive: true });
  await Promise.all(EMOJI_DATA_FILES.map((file) => fs.copyFile(path.join(source, file), path.join(target, file))));
}

/**
 * maplibre-gl, its worker and its stylesheet, copied (not bundled: loaded when a map first opens)
 * next to the page; the worker then comes from our own origin (worker-src 'self').
 */
async function copyMaplibre(rootDir: string, rendererOut: string): Promise<void> {
  const source = path.join(rootDir, 'node_modules', 'maplibre-gl', 'dist');
  const target = path.join(rendererOut, MAPLIBRE_DIR);
  await fs.mkdir(target, { recursive: true });
  await Promise.all(Object.values(MAPLIBRE_FILES).map((file) => fs.copyFile(path.join(source, file), path.join(target, file))));
}

/** The tray icon and the taskbar's unread overlays, rendered from SVG (the tray's from resources/icon.svg). */
async function renderTrayArt(rootDir: string, outDir: string): Promise<void> {
  const icon = await fs.readFile(path.join(rootDir, 'resources', 'icon.svg'), 'utf8');
  const target = path.join(outDir, ...TRAY_ART_DIR.split('/'));
  await fs.mkdir(target, { recursive: true });
  await Promise.all(
    trayArt(icon).map(({ file, svg, size }) =>
      fs.writeFile(path.join(target, file), new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng()),
    ),
  );
}

/** The CommonJS bundles get a real import.meta.url, which the hosts use to find dist/. */
const IMPORT_META_URL_BANNER = 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;';

export async function build(options: BuildOptions): Promise<void> {
  const { rootDir, outDir, production } = options;
  const from = (...parts: string[]) => path.join(rootDir, ...parts);
  const to = (relative: string) => path.join(outDir, ...relative.split('/'));
  const rendererEntry = options.rendererEntry ?? from('renderer', 'main.tsx');
  const rendererHtml = options.rendererHtml ?? from('renderer', 'index.html');
  for (const file of [rendererEntry, rendererHtml]) {
    if (!existsSync(file)) throw new Error(`Cannot build the renderer: ${file} does not exist.`);
  }

  await fs.rm(outDir, { recursive: true, force: true });
  const rendererOut = to(BUILT.rendererDir);

  const common = {
    bundle: true,
    minify: production,
    sourcemap: production ? false : ('linked' as const),
    legalComments: 'none' as const,
    logLevel: 'warning' as const,
    absWorkingDir: rootDir,
  };

  const nodeBundle = (entry: string, outfile: string): esbuild.BuildOptions => ({
    ...common,
    entryPoints: [from(...entry.split('/'))],
    outfile: to(outfile),
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: NODE_EXTERNALS,
    // import() of an external becomes require(): Node's ESM loader cannot read from the packaged app's asar.
    supported: { 'dynamic-import': false },
    banner: { js: IMPORT_META_URL_BANNER },
    define: { 'import.meta.url': '__import_meta_url', __MESSENGER_PRODUCTION_BUILD__: JSON.stringify(production) },
  });

  const builds: esbuild.BuildOptions[] = [
    {
      ...common,
      entryPoints: [rendererEntry],
      outfile: path.join(rendererOut, 'app.js'),
      platform: 'browser',
      format: 'esm',
      target: ['es2022', 'chrome140'],
      jsx: 'automatic',
      // React's production/development switch; node bundles read NODE_ENV at run time instead.
      define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
      tsconfig: existsSync(from('renderer', 'tsconfig.json')) ? from('renderer', 'tsconfig.json') : undefined,
      loader: {
        '.svg': 'file',
        '.png': 'file',
        '.jpg': 'file',
        '.webp': 'file',
        '.woff': 'file',
        '.woff2': 'file',
        '.ttf': 'file',
      },
      assetNames: 'assets/[name]-[hash]',
      // Lets an entry outside the repository (a stand-in renderer) resolve react & co.
      nodePaths: [from('node_modules')],
    },
    nodeBundle('main/electron/electron-main.ts', BUILT.electronMain),
    nodeBundle('main/node/core-worker.ts', BUILT.coreWorker),
    nodeBundle('main/browser/cli.ts', BUILT.browserCli),
    {
      // Sandboxed preload: its require() knows only a few modules (electron among them), so the
      // bundle is a single browser-platform file and esbuild refuses any node built-in.
      ...common,
      entryPoints: [from('preload', 'preload.ts')],
      outfile: to(BUILT.preload),
      platform: 'browser',
      format: 'cjs',
      target: 'chrome140',
      external: ['electron'],
      sourcemap: production ? false : ('inline' as const),
    },
  ];

  await Promise.all(builds.map((config) => esbuild.build(config)));

  await fs.copyFile(rendererHtml, path.join(rendererOut, 'index.html'));
  await copyEmojiData(rootDir, rendererOut);
  await copyMaplibre(rootDir, rendererOut);
  await renderTrayArt(rootDir, outDir);
  const publicDir = path.join(path.dirname(rendererHtml), 'public');
  if (existsSync(publicDir)) await fs.cp(publicDir, rendererOut, { recursive: true, errorOnExist: false });
  // index.html links app.css; a renderer that imports no CSS still gets a (blank) stylesheet.
  const css = path.join(rendererOut, 'app.css');
  if (!existsSync(css)) await fs.writeFile(css, '/* the renderer imports no CSS */\n');
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const production = process.argv.includes('--production') || process.env.NODE_ENV === 'production';
  build({ rootDir, outDir: path.join(rootDir, 'dist'), production }).catch((error: unknown) => {
    // esbuild has already printed its diagnostics; add one plain line.
    console.error(`Build failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    process.exit(1);
  });
}
