/**
 * What the sender's renderer adds to an image: its size (so it is laid out right before it has
 * arrived) and a tiny JPEG preview, small enough for the message (≤ 4096 characters as a data:
 * URL). Images are decoded here, in the sandboxed renderer, never in the host or the core.
 */
import { ATTACHMENT_LIMITS } from '../../sync/protocol/attachments.js';
import { IMAGE_HEADER_BYTES, headerWithinBudget } from './image-budget.js';
import { fitWithin, pickPreview, type ImageFacts } from './image-size.js';

/** Decodes an image; null when it is not one the renderer can decode (the file is then sent as a file). */
export async function describeImage(file: Blob): Promise<ImageFacts | null> {
  // Above the pixel budget it is sent as a file: no receiver would decode it either.
  if (!headerWithinBudget(new Uint8Array(await file.slice(0, IMAGE_HEADER_BYTES).arrayBuffer()))) return null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  try {
    const { width, height } = bitmap;
    if (width < 1 || height < 1 || Math.max(width, height) > ATTACHMENT_LIMITS.maxImageSide) return null;
    const preview = pickPreview((side, quality) => {
      const size = fitWithin(width, height, side);
      const canvas = document.createElement('canvas');
      canvas.width = size.width;
      canvas.height = size.height;
      const context = canvas.getContext('2d');
      if (!context) return null;
      context.drawImage(bitmap, 0, 0, size.width, size.height);
      return canvas.toDataURL('image/jpeg', quality);
    });
    return preview === undefined ? { width, height } : { width, height, preview };
  } finally {
    bitmap.close();
  }
}
