/** Files for the attachment specs: real images Chromium can decode, and hashes of what was saved. */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import type { Locator } from '@playwright/test';
import { pngChunk } from '../../support/png-chunk.js';

/** A `width` × `height` RGB PNG: a gradient with noise, so it is not trivially small. */
export function pngImage(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // RGB
  const noise = randomBytes(width * height);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = Math.floor((x / width) * 255);
      row[2 + x * 3] = Math.floor((y / height) * 255);
      row[3 + x * 3] = noise[y * width + x]!;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function sha256OfFile(path: string): Promise<string> {
  return sha256Of(await readFile(path));
}

/** A file as a page function builds it. */
export interface PageFile {
  name: string;
  type: string;
  bytes: number[];
}

/** The browser's own classes these page functions use (the tests' TypeScript has no DOM types). */
interface PageDom {
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
  DragEvent: new (type: string, init: object) => unknown;
  ClipboardEvent: new (type: string, init: object) => unknown;
}
type EventTarget = { dispatchEvent(event: unknown): boolean };

/** Drops `files` on the element, as a file manager's drag and drop would (dragover, then drop). */
export async function dropFiles(target: Locator, files: PageFile[]): Promise<void> {
  await target.evaluate((element: EventTarget, list: PageFile[]) => {
    const dom = globalThis as unknown as PageDom;
    const transfer = new dom.DataTransfer();
    for (const file of list) transfer.items.add(new dom.File([new Uint8Array(file.bytes)], file.name, { type: file.type }));
    for (const type of ['dragover', 'drop'])
      element.dispatchEvent(new dom.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

/** Pastes `files` into the element, as pasting a copied image does. */
export async function pasteFiles(target: Locator, files: PageFile[]): Promise<void> {
  await target.evaluate((element: EventTarget, list: PageFile[]) => {
    const dom = globalThis as unknown as PageDom;
    const clipboard = new dom.DataTransfer();
    for (const file of list) clipboard.items.add(new dom.File([new Uint8Array(file.bytes)], file.name, { type: file.type }));
    element.dispatchEvent(new dom.ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }));
  }, files);
}

/**
 * An animated GIF of `colours.length` frames, each `width` × `height` of one solid colour (RGB),
 * looping forever: real LZW data Chromium decodes, written with 8-bit codes and a clear code
 * before the code table would grow, so no compression logic is needed.
 */
export function animatedGif(width: number, height: number, colours: readonly [number, number, number][]): Buffer {
  const PALETTE = 128;
  const CLEAR = 128;
  const END = 129;
  const palette = Buffer.alloc(PALETTE * 3);
  colours.forEach(([r, g, b], i) => palette.set([r, g, b], i * 3));
  const word = (n: number) => [n & 0xff, n >> 8];
  const frames = colours.map((_, index) => {
    const codes = [CLEAR];
    for (let pixel = 0; pixel < width * height; pixel++) {
      if (pixel > 0 && pixel % 126 === 0) codes.push(CLEAR);
      codes.push(index);
    }
    codes.push(END);
    const blocks: number[] = [];
    for (let at = 0; at < codes.length; at += 255) {
      const block = codes.slice(at, at + 255);
      blocks.push(block.length, ...block);
    }
    return Buffer.from([
      ...[0x21, 0xf9, 0x04, 0x00, ...word(20), 0x00, 0x00], // 0.2 s a frame
      ...[0x2c, ...word(0), ...word(0), ...word(width), ...word(height), 0x00],
      0x07, // LZW minimum code size: 128 colours
      ...blocks,
      0x00,
    ]);
  });
  return Buffer.concat([
    Buffer.from('GIF89a'),
    Buffer.from([...word(width), ...word(height), 0xf6, 0x00, 0x00]),
    palette,
    Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00]),
    ...frames,
    Buffer.from([0x3b]),
  ]);
}
