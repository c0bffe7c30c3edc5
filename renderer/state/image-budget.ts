/**
 * Whether the renderer may decode a received image. A small file can declare a huge picture (a
 * 20,000 × 20,000 PNG of zeros compresses to almost nothing) that takes seconds and gigabytes to
 * decode, so the real size is read from the bytes' header first; above the budget, or when no header
 * can be read, the image is shown as a file and never decoded.
 */
import { imageSize } from 'image-size';

/** The most pixels a received image may have to be decoded (frames of an animation counted together). */
export const MAX_DECODED_PIXELS = 50_000_000;

/** Enough of the file for image-size to find the dimensions of any format it reads. */
export const IMAGE_HEADER_BYTES = 64 * 1024;

/** True when a declared size is within the budget; an absent size is judged by the bytes alone. */
export function declaredWithinBudget(width: number | null | undefined, height: number | null | undefined): boolean {
  if (width == null || height == null) return true;
  return width * height <= MAX_DECODED_PIXELS;
}

/** True only when the header names the picture's size and it (all frames) is within the budget. */
export function headerWithinBudget(header: Uint8Array): boolean {
  try {
    const { width, height, images } = imageSize(header);
    const frames = Math.max(1, images?.length ?? 1);
    return width > 0 && height > 0 && width * height * frames <= MAX_DECODED_PIXELS;
  } catch {
    return false;
  }
}

/** The same judgement for a base64 data: URL (a preview carried in the message itself). */
export function dataUrlWithinBudget(url: string): boolean {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || !url.slice(0, comma).endsWith(';base64')) return false;
  // A base64 prefix whose length is a multiple of 4 decodes to the file's first bytes.
  const prefix = url.slice(comma + 1, comma + 1 + Math.ceil((IMAGE_HEADER_BYTES * 4) / 3 / 4) * 4);
  try {
    return headerWithinBudget(Uint8Array.from(atob(prefix), (char) => char.charCodeAt(0)));
  } catch {
    return false;
  }
}
