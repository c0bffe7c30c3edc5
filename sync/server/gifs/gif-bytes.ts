import { GIF_LIMITS } from '../../protocol/gif-frames.js';
import { providerFailed } from './gif-provider.js';

const GIF_SIGNATURES = ['GIF87a', 'GIF89a'];

/**
 * The bytes, if they are a GIF within the cap: judged by their first bytes, never by a name or a
 * declared type, since only a GIF may go out as image/gif.
 */
export function checkedGif(bytes: Buffer, maxBytes: number = GIF_LIMITS.maxGifBytes): Buffer {
  if (bytes.length > maxBytes) throw providerFailed(`The GIF is larger than ${maxBytes} bytes`, 'gif_too_large');
  if (!GIF_SIGNATURES.includes(bytes.subarray(0, 6).toString('latin1'))) throw providerFailed('That is not a GIF', 'gif_not_gif');
  return bytes;
}

/** Reads a body up to `maxBytes` and stops (cancelling the rest) past it, so a huge answer is never held whole. */
export async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.length;
    if (size > maxBytes) {
      // Not awaited: a source that never settles its cancel must not hold the answer up.
      reader.cancel().catch(() => undefined);
      throw providerFailed(`The GIF is larger than ${maxBytes} bytes`, 'gif_too_large');
    }
    chunks.push(Buffer.from(value));
  }
}
