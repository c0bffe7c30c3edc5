import type { RawData } from 'ws';

/**
 * A text frame's payload as a string, in whichever form `ws` delivered it: a Buffer (the default
 * binaryType), an ArrayBuffer ('arraybuffer') or the fragments of one message ('fragments').
 */
export function wsText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
