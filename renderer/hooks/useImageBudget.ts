import { useEffect, useState } from 'react';
import type { AttachmentView } from '../../sync/app-api/contract.js';
import { IMAGE_HEADER_BYTES, dataUrlWithinBudget, declaredWithinBudget, headerWithinBudget } from '../state/image-budget.js';

/** 'judging' until the file's header is read; 'image' may be decoded; 'file' is shown as a file. */
export type ImageBudgetVerdict = 'judging' | 'image' | 'file';

async function readHeader(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < IMAGE_HEADER_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.length;
  }
  await reader.cancel();
  const header = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    header.set(part, offset);
    offset += part.length;
  }
  return header;
}

/** Reads the received file's header (never decoding it) to judge it against the pixel budget. */
export function useImageBudget(attachment: AttachmentView): ImageBudgetVerdict {
  const declaredOk = declaredWithinBudget(attachment.width, attachment.height);
  const url = declaredOk ? attachment.localUrl : null;
  const [judged, setJudged] = useState<{ url: string; verdict: ImageBudgetVerdict } | null>(null);
  useEffect(() => {
    if (!url) return;
    let current = true;
    void readHeader(url)
      .then((header) => headerWithinBudget(header))
      .catch(() => false)
      .then((ok) => {
        if (current) setJudged({ url, verdict: ok ? 'image' : 'file' });
      });
    return () => {
      current = false;
    };
  }, [url]);
  if (!declaredOk) return 'file';
  if (!url) return 'judging';
  return judged?.url === url ? judged.verdict : 'judging';
}

/** A preview carried in the message itself, or null when it may not be decoded. */
export function previewWithinBudget(preview: string | null | undefined): string | undefined {
  return preview && dataUrlWithinBudget(preview) ? preview : undefined;
}
