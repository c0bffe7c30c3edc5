import { AppApiError, type AttachmentInput } from '../../app-api/contract.js';
import { attachmentSchema, isInlineImageType, isVoiceType, type AttachmentKind } from '../../protocol/attachments.js';
import type { ComposedAttachment } from '../mirror/attachments.js';
import { BlobStoreError, type BlobStore } from './blob-store.js';

const UNKNOWN_TYPE = 'application/octet-stream';

/**
 * Turns what the renderer says about the files of a message into what the message will say,
 * trusting only the stored bytes for what they can tell: the size (of the sealed file, what is
 * uploaded) and the file's key are read from the store, the type is sniffed from the content. A claimed image is one only when its bytes are an inline image type
 * and it has its size; a claimed recording only when its bytes are a voice type with a duration;
 * anything else is a plain file. A preview that is not the protocol's tiny data: URL is dropped.
 * Refuses (before anything is queued) a file that is missing, empty, or over the server's limit.
 */
export async function composeAttachments(
  blobs: BlobStore,
  inputs: readonly AttachmentInput[],
  maxFileBytes: number,
): Promise<ComposedAttachment[]> {
  const composed: ComposedAttachment[] = [];
  for (const input of inputs) {
    const plainSize = await readable(() => blobs.sizeOf(input.sha256));
    if (plainSize === null) throw new AppApiError('not_found', `The file ${input.name} is not in this profile; attach it again.`);
    if (plainSize === 0) throw new AppApiError('refused', 'empty_file');
    const sealed = await readable(() => blobs.sealedBlob(input.sha256));
    // A plain file from before encryption at rest has no key to send: it must be attached again.
    if (sealed === null) throw new AppApiError('not_found', `The file ${input.name} is not in this profile; attach it again.`);
    if (sealed.size > maxFileBytes) throw new AppApiError('refused', 'file_too_large');
    const mime = contentType(await readable(() => blobs.sniff(input.sha256)), input.kind);
    const kind = kindOf(input, mime);
    const preview = input.preview !== undefined && attachmentSchema.shape.preview.safeParse(input.preview).success;
    composed.push({
      sha256: input.sha256,
      size: sealed.size,
      key: sealed.key.toString('base64'),
      name: input.name,
      mime,
      kind,
      ...(kind === 'image' ? { width: input.width, height: input.height } : {}),
      ...(kind === 'image' && preview ? { preview: input.preview } : {}),
      ...(kind === 'voice' ? { durationMs: input.durationMs } : {}),
    });
  }
  return composed;
}

/**
 * The type to declare for sniffed content: parameters dropped ("audio/ogg; codecs=opus"), and a
 * WebM recording declared as audio (file-type cannot tell audio-only WebM, which is what the
 * renderer records, from video).
 */
export function contentType(sniffed: string, claimed: AttachmentKind): string {
  const base = sniffed.split(';')[0]?.trim().toLowerCase() ?? '';
  if (claimed === 'voice' && base === 'video/webm') return 'audio/webm';
  return attachmentSchema.shape.mime.safeParse(base).success ? base : UNKNOWN_TYPE;
}

function kindOf(input: AttachmentInput, mime: string): AttachmentKind {
  switch (input.kind) {
    case 'image':
      return isInlineImageType(mime) && input.width !== undefined && input.height !== undefined ? 'image' : 'file';
    case 'voice':
      return isVoiceType(mime) && input.durationMs !== undefined ? 'voice' : 'file';
    case 'file':
      return 'file';
  }
}

/** A stored file that is damaged (it no longer decrypts) or whose key is gone is refused, not an internal error. */
async function readable<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof BlobStoreError && error.code === 'file_unreadable') throw new AppApiError('refused', 'file_unreadable');
    throw error;
  }
}
