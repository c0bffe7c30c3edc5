/**
 * A link preview's picture as the sender's renderer sends it: the core hands over the page's
 * image as a data: URL of any size; it is decoded here (in the sandboxed renderer) and scaled down
 * to a JPEG whose data: URL fits LIMITS.maxLinkPreviewImageChars, or dropped when none fits.
 */
import { fitWithin } from './image-size.js';
import { pickFitting, sendableAsIs } from './link-preview-size.js';

/** The preview's image made to fit, or null (the preview is then sent without one). */
export async function fitPreviewImage(image: string): Promise<string | null> {
  if (sendableAsIs(image)) return image;
  if (!image.startsWith('data:image/')) return null;
  // An <img> decodes it (the page's policy lets images, not fetches, read data: URLs).
  const picture = new Image();
  picture.src = image;
  try {
    await picture.decode();
  } catch {
    return null;
  }
  const { naturalWidth: width, naturalHeight: height } = picture;
  if (width < 1 || height < 1) return null;
  return pickFitting((side, quality) => {
    const size = fitWithin(width, height, side);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const context = canvas.getContext('2d');
    if (!context) return null;
    // JPEG has no transparency: a transparent picture goes on white, not black.
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, size.width, size.height);
    context.drawImage(picture, 0, 0, size.width, size.height);
    return canvas.toDataURL('image/jpeg', quality);
  });
}
