/**
 * How big a link preview's picture may be (no DOM here; link-preview-image.ts draws it): the JPEG
 * encodings tried, largest and best first, and what the protocol takes unchanged.
 */
import { LIMITS } from '../../sync/protocol/limits.js';

/** Longest side, then smaller ones; at each, lower qualities until it fits. */
const SIDES = [480, 360, 240, 160, 96] as const;
const QUALITIES = [0.8, 0.6, 0.4] as const;
const JPEG = 'data:image/jpeg;base64,';
/** What the protocol takes as it is (linkPreviewSchema). */
const SENDABLE = /^data:image\/(?:jpeg|png|webp);base64,[A-Za-z0-9+/]+=*$/u;

/** The largest, best encoding that fits `maxChars`; null when none does. */
export function pickFitting(
  encode: (side: number, quality: number) => string | null,
  maxChars: number = LIMITS.maxLinkPreviewImageChars,
): string | null {
  for (const side of SIDES) {
    for (const quality of QUALITIES) {
      const url = encode(side, quality);
      if (url !== null && url.startsWith(JPEG) && url.length <= maxChars) return url;
    }
  }
  return null;
}

/** A data: URL the protocol takes unchanged: a JPEG, PNG or WebP already small enough. */
export function sendableAsIs(image: string, maxChars: number = LIMITS.maxLinkPreviewImageChars): boolean {
  return image.length <= maxChars && SENDABLE.test(image);
}
