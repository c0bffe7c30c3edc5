/**
 * The composer's link preview: once the person pauses on text with a web link, the core fetches
 * the page (fetchLinkPreview) and its picture is scaled down to fit the protocol's limit. Only the
 * answer for the link in the box now is shown (a stale one waits in case that link comes back);
 * "Remove preview" drops it for that address while the composer lives.
 */
import { useCallback, useEffect, useState } from 'react';
import type { LinkPreviewView } from '../../sync/app-api/contract.js';
import { firstLink } from '../format/links.js';
import { useActions } from '../state/context.js';
import { fitPreviewImage } from '../state/link-preview-image.js';

/** Wait this long after the last keystroke before asking for a preview. */
export const LINK_PREVIEW_DEBOUNCE_MS = 600;

export interface ComposerLinkPreview {
  /** The preview to show and send; null while there is none (no link, not ready, none, removed). */
  preview: LinkPreviewView | null;
  /** Drops the preview of the link in the box for good. */
  remove: () => void;
}

export function useLinkPreview(text: string, enabled: boolean): ComposerLinkPreview {
  const { fetchLinkPreview } = useActions();
  const [answers, setAnswers] = useState<ReadonlyMap<string, LinkPreviewView | null>>(() => new Map());
  const [removed, setRemoved] = useState<ReadonlySet<string>>(() => new Set());
  const link = enabled ? (firstLink(text)?.href ?? null) : null;
  const wanted = link !== null && !removed.has(link) ? link : null;
  const known = wanted !== null && answers.has(wanted);

  useEffect(() => {
    if (wanted === null || known) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      void (async () => {
        const answer = await fetchLinkPreview(wanted);
        const image = answer?.image ? await fitPreviewImage(answer.image) : null;
        if (cancelled) return;
        const preview = answer ? { ...answer, image } : null;
        setAnswers((current) => new Map(current).set(wanted, preview));
      })();
    }, LINK_PREVIEW_DEBOUNCE_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [wanted, known, fetchLinkPreview]);

  const remove = useCallback(() => {
    if (wanted !== null) setRemoved((current) => new Set(current).add(wanted));
  }, [wanted]);

  return { preview: wanted !== null ? (answers.get(wanted) ?? null) : null, remove };
}
