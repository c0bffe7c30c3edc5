/**
 * The app icons, made from resources/icon.svg at build time (`npm run dist` runs this before
 * electron-builder; nothing generated is committed). Writes into build/icons/:
 *   16x16.png … 1024x1024.png   each size rendered from the SVG (linux.icon: the freedesktop set)
 *   icon.ico                    Windows (the executable and the NSIS installer), 16…256
 *   icon.icns                   macOS, 16…1024
 * electron-builder.yml points mac.icon, win.icon and linux.icon here, in formats it uses as they
 * are: it never has to convert an icon itself.
 *
 *   tsx scripts/icons.ts [--out <dir>]
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import png2icons from 'png2icons';

export const ICON_SOURCE = 'resources/icon.svg';
export const ICONS_DIR = 'build/icons';
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
export const ICO_FILE = 'icon.ico';
export const ICNS_FILE = 'icon.icns';

/** electron-builder's name for one size of an icon set (linux.icon pointing at a folder). */
export function pngFileName(size: number): string {
  return `${size}x${size}.png`;
}

/** The SVG rendered at size×size; the icon draws no text, so no fonts are loaded. */
export function renderPng(svg: Buffer | string, size: number): Buffer {
  const image = new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } }).render();
  if (image.width !== size || image.height !== size) {
    throw new Error(`The icon SVG is not square: rendered ${image.width}×${image.height} for ${size}.`);
  }
  return image.asPng();
}

/**
 * Windows icon from the largest PNG. `forWinExe`: PNG entries from 64 up, bitmaps below, which
 * every Windows version shows (in the file properties dialog too).
 */
export function createIco(largestPng: Buffer): Buffer {
  const ico = png2icons.createICO(largestPng, png2icons.BICUBIC2, 0, false, true);
  if (!ico) throw new Error('png2icons could not make the ICO file.');
  return ico;
}

/** macOS icon from the largest PNG (which should be 1024, the ic10 entry). */
export function createIcns(largestPng: Buffer): Buffer {
  const icns = png2icons.createICNS(largestPng, png2icons.BICUBIC2, 0);
  if (!icns) throw new Error('png2icons could not make the ICNS file.');
  return icns;
}

/** Every icon file, by file name. */
export function renderIcons(svg: Buffer | string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const size of PNG_SIZES) files.set(pngFileName(size), renderPng(svg, size));
  const largest = files.get(pngFileName(Math.max(...PNG_SIZES)));
  if (!largest) throw new Error('No largest PNG size.');
  files.set(ICO_FILE, createIco(largest));
  files.set(ICNS_FILE, createIcns(largest));
  return files;
}

/** Empties outDir and writes the icons made from svgFile into it; returns the files written. */
export async function writeIcons(svgFile: string, outDir: string): Promise<string[]> {
  const files = renderIcons(await readFile(svgFile));
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, data] of files) {
    const file = path.join(outDir, name);
    await writeFile(file, data);
    written.push(file);
  }
  return written;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const outArg = process.argv[process.argv.indexOf('--out') + 1];
  const outDir = process.argv.includes('--out') && outArg ? path.resolve(outArg) : path.join(rootDir, ICONS_DIR);
  writeIcons(path.join(rootDir, ICON_SOURCE), outDir).then(
    (files) => console.log(`Icons: ${files.length} files in ${path.relative(process.cwd(), outDir) || '.'}`),
    (error: unknown) => {
      console.error(`Icons failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
