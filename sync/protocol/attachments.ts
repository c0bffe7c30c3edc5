/**
 * Attachments on the wire: what a message says about each file it carries, the HTTP paths where the
 * bytes travel (tus uploads, ranged downloads), and the pure rules both sides apply to names and
 * types. The bytes never go over the sync socket; a message only refers to an uploaded file by
 * its server id, with the SHA-256 and size the receiver checks the downloaded bytes against.
 *
 * A file is encrypted on its sender's device before it is uploaded (sealed-format.ts): what the
 * server stores is the sealed file, and the file's key travels only inside the encrypted message.
 */
import { z } from 'zod';
import { plainSizeOfSealed } from './sealed-format.js';

export const ATTACHMENT_LIMITS = {
  /** Files one message may carry. */
  maxPerMessage: 10,
  /**
   * The largest file any server accepts (2 GiB). A server sets its own lower limit (`--max-file-mb`,
   * default 100) and tells clients in its welcome.
   */
  maxFileBytes: 2 * 1024 * 1024 * 1024,
  /** The limit a client assumes before it has heard the server's. */
  defaultMaxFileBytes: 100 * 1024 * 1024,
  /** File names, in UTF-16 code units, after sanitising. */
  maxNameChars: 255,
  /** The inline preview of an image: a tiny JPEG or WebP as a data: URL. */
  maxPreviewChars: 4096,
  maxImageSide: 65_535,
  /** Voice messages: at most an hour. */
  maxDurationMs: 60 * 60 * 1000,
  /** How long the server keeps an upload that no message refers to. */
  unreferencedUploadTtlMs: 24 * 60 * 60 * 1000,
} as const;

/** tus endpoint (creation, HEAD for the offset, PATCH for bytes); every request needs the bearer token. */
export const UPLOADS_PATH = '/v1/uploads';
/** GET /v1/attachments/<id>: the bytes, with Range support; members of a referring conversation only. */
export const ATTACHMENTS_PATH = '/v1/attachments';
/** tus Upload-Metadata key: the SHA-256 (hex) the client declares; the server refuses a mismatch. */
export const UPLOAD_SHA256_METADATA = 'sha256';
/** The tus checksum extension's status for "what arrived does not match what was declared". */
export const CHECKSUM_MISMATCH_STATUS = 460;

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lowercase hex');
/** Server-chosen attachment ids: 32 lowercase hex characters (128 random bits). */
export const attachmentId = z.string().regex(/^[0-9a-f]{32}$/, 'must be an attachment id (32 lowercase hex)');

export const ATTACHMENT_KINDS = ['image', 'voice', 'file'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/**
 * Raster types a renderer may decode inline. Everything else (SVG above all: it is a document that
 * can carry script) is a plain file that is only ever saved.
 */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export function isInlineImageType(mime: string): boolean {
  return (INLINE_IMAGE_TYPES as readonly string[]).includes(mime);
}
/** Recordings the app plays: Opus in WebM or Ogg. */
export const VOICE_TYPES = ['audio/webm', 'audio/ogg'] as const;
export function isVoiceType(mime: string): boolean {
  return (VOICE_TYPES as readonly string[]).includes(mime);
}

/** A name as people see and save it (see sanitizeFileName); never a path. */
export const fileName = z
  .string()
  .min(1)
  .max(ATTACHMENT_LIMITS.maxNameChars)
  .refine((name) => sanitizeFileName(name) === name, 'must be a sanitised file name');

const previewDataUrl = z
  .string()
  .max(ATTACHMENT_LIMITS.maxPreviewChars)
  .regex(/^data:image\/(jpeg|webp|png);base64,[A-Za-z0-9+/]+=*$/, 'must be a base64 JPEG, WebP or PNG data: URL');
const side = z.number().int().min(1).max(ATTACHMENT_LIMITS.maxImageSide);
const mimeType = z
  .string()
  .max(100)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a MIME type');

/** A file's own AES-256 key: 32 bytes in base64. */
export const fileKeyBase64 = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be a 32-byte key in base64');

const attachmentFields = z.object({
  id: attachmentId,
  // Of the sealed file, the bytes the server checks on upload and the receiver on download; the
  // plaintext is then authenticated by the key (every chunk's GCM tag), so both travel together.
  sha256: sha256Hex,
  /** Bytes on the server: the sealed file's size when there is a key (see displayedSize). */
  size: z.number().int().min(1).max(ATTACHMENT_LIMITS.maxFileBytes),
  /** Absent only for a plain file from before encryption, in history kept since then. */
  key: fileKeyBase64.optional(),
  name: fileName,
  mime: mimeType,
  kind: z.enum(ATTACHMENT_KINDS),
  width: side.optional(),
  height: side.optional(),
  preview: previewDataUrl.optional(),
  durationMs: z.number().int().min(0).max(ATTACHMENT_LIMITS.maxDurationMs).optional(),
});

function checkAttachment(attachment: z.infer<typeof attachmentFields>, context: z.core.$RefinementCtx): void {
  const problem = refuseAttachmentShape(attachment) ?? refuseSealedSize(attachment);
  if (problem) context.addIssue({ code: 'custom', message: problem });
}

/**
 * What the message says about one file. `mime` is what the sender's core found in the content (not
 * the name); `kind` decides how it is shown. Images carry their size and a tiny preview so they are
 * laid out at their right size before the bytes arrive; voice messages carry their duration.
 */
export const attachmentSchema = attachmentFields.superRefine(checkAttachment);
export type Attachment = z.infer<typeof attachmentSchema>;
export const attachmentsSchema = z.array(attachmentSchema).max(ATTACHMENT_LIMITS.maxPerMessage);
/** New content: every file is encrypted, so every descriptor carries its key. */
export const sealedAttachmentsSchema = z
  .array(attachmentFields.extend({ key: fileKeyBase64 }).superRefine(checkAttachment))
  .max(ATTACHMENT_LIMITS.maxPerMessage);

/** Why an encrypted file's size is one no sealed file of at least one byte has, or null. */
function refuseSealedSize(attachment: { size: number; key?: string | undefined }): string | null {
  if (attachment.key === undefined) return null;
  const plain = plainSizeOfSealed(attachment.size);
  return plain === null || plain === 0 ? 'an encrypted file must have the size of a sealed, non-empty file' : null;
}

/** The size people are shown: the plaintext's (a sealed file's size less its header and tags). */
export function displayedSize(attachment: { size: number; key?: string | null | undefined }): number {
  if (attachment.key === undefined || attachment.key === null) return attachment.size;
  return plainSizeOfSealed(attachment.size) ?? attachment.size;
}

/** Why a kind does not fit its type and fields, or null. Shared by the server, the core and the schema. */
export function refuseAttachmentShape(attachment: {
  kind: AttachmentKind;
  mime: string;
  width?: number | undefined;
  height?: number | undefined;
  durationMs?: number | undefined;
}): string | null {
  switch (attachment.kind) {
    case 'image':
      if (!isInlineImageType(attachment.mime)) return `an image must be one of ${INLINE_IMAGE_TYPES.join(', ')}`;
      if (attachment.width === undefined || attachment.height === undefined) return 'an image needs its width and height';
      return attachment.durationMs === undefined ? null : 'an image has no duration';
    case 'voice':
      if (!isVoiceType(attachment.mime)) return `a voice message must be one of ${VOICE_TYPES.join(', ')}`;
      return attachment.durationMs === undefined ? 'a voice message needs its duration' : null;
    case 'file':
      return null;
  }
}

/** Names Windows reserves for devices, with or without an extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f/\\:*?"<>|\u202a-\u202e\u2066-\u2069]/g;

/**
 * A file name that is safe to show and to save on any of the three systems: no path separators or
 * characters Windows forbids, no control or bidirectional-override characters (which can make
 * "evil‮gpj.exe" read as "evilexe.jpg"), no leading or trailing dots and spaces, not a reserved
 * device name, at most 255 characters keeping the extension. Never empty.
 */
export function sanitizeFileName(raw: string, fallback = 'file'): string {
  const wellFormed = (raw as string & { toWellFormed(): string }).toWellFormed();
  let name = wellFormed.normalize('NFC').replace(UNSAFE_CHARACTERS, '_');
  name = name.replace(/^[\s.]+|[\s.]+$/g, '');
  if (name === '') name = fallback;
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  if (name.length > ATTACHMENT_LIMITS.maxNameChars) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = name.slice(0, ATTACHMENT_LIMITS.maxNameChars - extension.length) + extension;
    // Cutting may split a surrogate pair or leave a trailing dot or space.
    name = (name as string & { toWellFormed(): string }).toWellFormed().replace(/[\s.]+$/g, '');
  }
  return name;
}
