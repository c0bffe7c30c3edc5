import { createDeflate } from 'node:zlib';
import { pngChunk } from './png-chunk.js';

/**
 * A valid greyscale PNG of zeros. At 20,000 × 20,000 (400 MP) it is well under a megabyte on
 * disk: the shape of a decompression bomb. Rows are deflated in blocks so the test never holds them all.
 */
export async function zeroPng(width: number, height: number): Promise<Buffer> {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rowBytes = width + 1; // filter byte + pixels, all zero
  const block = Buffer.alloc(rowBytes * 256);
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const ended = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  for (let done = 0; done < height; done += 256) {
    const rows = Math.min(256, height - done);
    if (!deflate.write(block.subarray(0, rowBytes * rows))) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
