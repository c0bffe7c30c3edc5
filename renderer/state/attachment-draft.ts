/**
 * Files chosen for the next message, before it is sent: the checks that come first (the server's
 * size limit, how many a message carries), copying each into the profile's store, and what the
 * core needs to know about it. No React here; useAttachmentDraft (hooks/) holds the list.
 */
import type { AttachmentInput, StoredFile } from '../../sync/app-api/contract.js';
import { ATTACHMENT_LIMITS, isInlineImageType, sanitizeFileName, type AttachmentKind } from '../../sync/protocol/attachments.js';
import { formatSize } from '../format/size.js';
import { t } from '../i18n/index.js';
import type { ImageFacts } from './image-size.js';

export interface DraftItem {
  /** Stable for React (a file picked twice is two items until the second is dropped as a double). */
  key: string;
  name: string;
  size: number;
  /** Being copied into the store (and, for an image, decoded) / ready to send. */
  state: 'preparing' | 'ready';
  input: AttachmentInput | null;
}

export type DraftProblem =
  | { kind: 'too_large'; name: string; limit: number }
  | { kind: 'too_many'; max: number }
  | { kind: 'import_failed'; name: string; code: string };

export function describeProblem(problem: DraftProblem): string {
  switch (problem.kind) {
    case 'too_large':
      return t.attachments.tooLarge(problem.name, formatSize(problem.limit));
    case 'too_many':
      return t.attachments.tooMany(problem.max);
    case 'import_failed': {
      const known = t.attachments.importErrors as Record<string, string>;
      return t.attachments.importFailed(problem.name, known[problem.code] ?? t.attachments.importErrors.other);
    }
  }
}

/** The name a file is shown and saved under. */
export function draftName(file: { name: string; type: string }): string {
  if (file.name.trim() !== '') return sanitizeFileName(file.name);
  // A pasted image has no name: "Pasted image.png".
  const extension = /^image\/([a-z0-9]+)$/.exec(file.type)?.[1];
  return sanitizeFileName(
    extension ? `${t.attachments.pastedImage}.${extension === 'jpeg' ? 'jpg' : extension}` : t.attachments.pastedImage,
  );
}

/**
 * Which of the chosen files may be queued: none over the server's limit, no more than a message
 * carries. Refused files are named in `problems` and nothing of them is queued.
 */
export function admitFiles<F extends { name: string; size: number; type: string }>(
  files: readonly F[],
  maxFileBytes: number,
  alreadyQueued: number,
): { admitted: F[]; problems: DraftProblem[] } {
  const admitted: F[] = [];
  const problems: DraftProblem[] = [];
  for (const file of files) {
    if (file.size > maxFileBytes) {
      problems.push({ kind: 'too_large', name: draftName(file), limit: maxFileBytes });
    } else if (alreadyQueued + admitted.length >= ATTACHMENT_LIMITS.maxPerMessage) {
      if (!problems.some((problem) => problem.kind === 'too_many')) {
        problems.push({ kind: 'too_many', max: ATTACHMENT_LIMITS.maxPerMessage });
      }
    } else {
      admitted.push(file);
    }
  }
  return { admitted, problems };
}

export interface PrepareDeps {
  importFile: (file: Blob) => Promise<StoredFile>;
  describeImage: (file: Blob) => Promise<ImageFacts | null>;
}

/** Copies one file into the store and describes it: an image (when it decodes) or a plain file. */
export async function prepareAttachment(file: Blob, name: string, deps: PrepareDeps): Promise<AttachmentInput> {
  const stored = await deps.importFile(file);
  const facts = isInlineImageType(stored.mime) ? await deps.describeImage(file) : null;
  const kind: AttachmentKind = facts ? 'image' : 'file';
  return { sha256: stored.sha256, name, kind, ...(facts ?? {}) };
}

/** A recording, copied into the store: a voice message of `durationMs`. */
export async function prepareVoice(
  recording: Blob,
  durationMs: number,
  deps: Pick<PrepareDeps, 'importFile'>,
): Promise<AttachmentInput> {
  const stored = await deps.importFile(recording);
  const extension = recording.type.startsWith('audio/ogg') ? 'ogg' : 'webm';
  return {
    sha256: stored.sha256,
    name: sanitizeFileName(`${t.voice.fileName}.${extension}`),
    kind: 'voice',
    durationMs: Math.min(Math.round(durationMs), ATTACHMENT_LIMITS.maxDurationMs),
  };
}
