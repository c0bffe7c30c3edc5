import type { LinkPreviewView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';

/** Only web addresses become links (never javascript:, file: or anything else). */
export function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Only an inline picture (the sender's core made it): never an address the receiver would fetch. */
function isImageData(image: string | null): image is string {
  return image !== null && /^data:image\/(?:jpeg|png|webp);base64,/u.test(image);
}

/**
 * A link's preview as its sender made it: the page's picture, title (a link to the page, opened
 * outside the app) and description. All plain text: nothing in it is parsed as markup.
 */
export function LinkPreviewCard({ preview, className = '' }: { preview: LinkPreviewView; className?: string }) {
  const link = isWebUrl(preview.url);
  let host = '';
  if (link) host = new URL(preview.url).host;
  return (
    <section className={`link-preview ${className}`.trim()} aria-label={t.linkPreview.region}>
      {isImageData(preview.image) && <img className="link-preview__image" src={preview.image} alt="" />}
      <span className="link-preview__body">
        {link ? (
          <a className="link-preview__title" href={preview.url} target="_blank" rel="noopener noreferrer">
            {preview.title}
          </a>
        ) : (
          <span className="link-preview__title">{preview.title}</span>
        )}
        {preview.description && <span className="link-preview__description">{preview.description}</span>}
        {host && <span className="link-preview__host">{host}</span>}
      </span>
    </section>
  );
}
