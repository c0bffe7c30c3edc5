import type { LinkPreviewView } from '../../sync/app-api/contract.js';
import { safeLinkHref } from '../format/links.js';
import { t } from '../i18n/index.js';
import { dataUrlWithinBudget } from '../state/image-budget.js';

/** Only an inline picture (the sender's core made it): never an address the receiver would fetch. */
function isImageData(image: string | null): image is string {
  return image !== null && /^data:image\/(?:jpeg|png|webp);base64,/u.test(image) && dataUrlWithinBudget(image);
}

/**
 * A link's preview as its sender made it: the page's picture, title (a link to the page, opened
 * outside the app) and description. All plain text: nothing in it is parsed as markup.
 */
export function LinkPreviewCard({
  preview,
  className = '',
  withImage = true,
}: {
  preview: LinkPreviewView;
  className?: string;
  /** False: the title and description only (a message request's picture is not decoded). */
  withImage?: boolean;
}) {
  // The same rule as links in text: http(s) only, and no user name that could pose as the host.
  const href = safeLinkHref(preview.url);
  const host = href === null ? '' : new URL(href).host;
  return (
    <section className={`link-preview ${className}`.trim()} aria-label={t.linkPreview.region}>
      {withImage && isImageData(preview.image) && <img className="link-preview__image" src={preview.image} alt="" />}
      <span className="link-preview__body">
        {href !== null ? (
          <a className="link-preview__title" href={href} target="_blank" rel="noopener noreferrer">
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
