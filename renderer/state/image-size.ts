/**
 * The numbers behind an image attachment, apart from decoding it (image-facts.ts): what the sender
 * adds (size and a tiny preview of at most 4096 characters) and how big it is shown.
 */
import { ATTACHMENT_LIMITS } from '../../sync/protocol/attachments.js';

export interface ImageFacts {
  width: number;
  height: number;
  preview?: string;
}

/** Longest side of the preview, then smaller ones until it fits. */
const PREVIEW_SIDES = [32, 24, 16, 8] as const;
const PREVIEW_QUALITIES = [0.7, 0.5, 0.3] as const;

/** Width and height scaled so the longer side is at most `max` (never up, never below 1). */
export function fitWithin(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The largest, best preview that fits: tries sides and qualities in order, and gives up (no
 * preview) rather than send one over the limit.
 */
export function pickPreview(encode: (side: number, quality: number) => string | null): string | undefined {
  for (const side of PREVIEW_SIDES) {
    for (const quality of PREVIEW_QUALITIES) {
      const url = encode(side, quality);
      if (url !== null && url.startsWith('data:image/jpeg;base64,') && url.length <= ATTACHMENT_LIMITS.maxPreviewChars)
        return url;
    }
  }
  return undefined;
}
