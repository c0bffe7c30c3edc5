/**
 * scripts/icons.ts: the icon files electron-builder is pointed at, made from resources/icon.svg.
 * Each file is read back by its format's own structure (PNG header, ICO directory, ICNS chunks),
 * the way an operating system would find its sizes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ICNS_FILE, ICO_FILE, ICON_SOURCE, PNG_SIZES, pngFileName, renderPng, writeIcons } from '../../../scripts/icons.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk, which must come first. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface IcoEntry {
  size: number;
  data: Buffer;
}

/** ICONDIR then one 16-byte ICONDIRENTRY per image (a width/height byte of 0 means 256). */
function icoEntries(ico: Buffer): IcoEntry[] {
  expect(ico.readUInt16LE(0)).toBe(0);
  expect(ico.readUInt16LE(2)).toBe(1);
  const count = ico.readUInt16LE(4);
  const entries: IcoEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = 6 + i * 16;
    const width = ico[at] || 256;
    const height = ico[at + 1] || 256;
    expect(height).toBe(width);
    const length = ico.readUInt32LE(at + 8);
    const offset = ico.readUInt32LE(at + 12);
    expect(offset + length).toBeLessThanOrEqual(ico.length);
    entries.push({ size: width, data: ico.subarray(offset, offset + length) });
  }
  return entries;
}

/** 'icns', the file length, then chunks of (type, length including the 8-byte header, data). */
function icnsChunks(icns: Buffer): Map<string, Buffer> {
  expect(icns.subarray(0, 4).toString('latin1')).toBe('icns');
  expect(icns.readUInt32BE(4)).toBe(icns.length);
  const chunks = new Map<string, Buffer>();
  let at = 8;
  while (at < icns.length) {
    const length = icns.readUInt32BE(at + 4);
    expect(length).toBeGreaterThan(8);
    chunks.set(icns.subarray(at, at + 4).toString('latin1'), icns.subarray(at + 8, at + length));
    at += length;
  }
  expect(at).toBe(icns.length);
  return chunks;
}

let outDir: string;
const read = (name: string) => readFileSync(path.join(outDir, name));

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'icons-'));
  await writeIcons(path.join(ROOT, ICON_SOURCE), outDir);
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('app icons from the SVG', () => {
  it('writes one PNG per size from 16 to 1024, each that many pixels square, plus the ICO and the ICNS', () => {
    expect(PNG_SIZES[0]).toBe(16);
    expect(PNG_SIZES.at(-1)).toBe(1024);
    expect(readdirSync(outDir).sort()).toEqual([...PNG_SIZES.map(pngFileName), ICO_FILE, ICNS_FILE].sort());
    for (const size of PNG_SIZES) {
      expect(pngSize(read(pngFileName(size))), pngFileName(size)).toEqual({ width: size, height: size });
    }
  });

  it('makes a Windows ICO from 16 to 256 (electron-builder refuses one without 256): PNG images from 64, bitmaps below', () => {
    const entries = icoEntries(read(ICO_FILE));
    expect(entries.map((entry) => entry.size).sort((a, b) => a - b)).toEqual([16, 24, 32, 48, 64, 72, 96, 128, 256]);
    for (const { size, data } of entries) {
      if (size >= 64) {
        expect(pngSize(data), `${size}`).toEqual({ width: size, height: size });
      } else {
        // BITMAPINFOHEADER: its own size (40), the width, and twice the height (image and mask).
        expect([data.readUInt32LE(0), data.readInt32LE(4), data.readInt32LE(8)], `${size}`).toEqual([40, size, 2 * size]);
      }
    }
  });

  it('makes a macOS ICNS with every size from 16 to 1024 (ic10 is the 1024 PNG)', () => {
    const chunks = icnsChunks(read(ICNS_FILE));
    const pngChunks = { ic11: 32, ic12: 64, ic07: 128, ic13: 256, ic08: 256, ic14: 512, ic09: 512, ic10: 1024 };
    for (const [type, size] of Object.entries(pngChunks)) {
      const chunk = chunks.get(type);
      expect(chunk, type).toBeDefined();
      expect(pngSize(chunk!), type).toEqual({ width: size, height: size });
    }
    // The 16 and 32 images older macOS reads: RGB plus an 8-bit mask each.
    for (const type of ['is32', 's8mk', 'il32', 'l8mk']) expect(chunks.has(type), type).toBe(true);
  });

  it('refuses an SVG that is not square rather than stretch it', () => {
    const wide = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100"/></svg>';
    expect(() => renderPng(wide, 64)).toThrow(/not square/);
  });
});
