/**
 * Moves a linking device's history to the new device (mirror/history-export.ts): the export,
 * encrypted under a fresh random key, goes up as an upload no message refers to (tus, as files
 * do: the server checks its SHA-256 and lets only the account's own devices download it, and
 * collects it after a day); the hand-over sealed to the new device carries its id, key, digest and
 * size. The new device downloads it, checks size and digest, and merges it into its mirror.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tus from 'tus-js-client';
import { z } from 'zod';
import { attachmentId, ATTACHMENTS_PATH, UPLOAD_SHA256_METADATA, UPLOADS_PATH } from '../protocol/attachments.js';
import { errorFields, type Logger } from '../common/logger.js';
import type { Runtime } from '../common/runtime.js';
import type { UploadTransport } from './attachments/uploader.js';
import type { HistoryExportOptions, HistoryImportResult } from './mirror/history-export.js';
import type { Mirror } from './mirror/mirror.js';

const KEY_BYTES = 32;
/** How long the upload waits before each retry, resuming from the server's offset; then it fails. */
const UPLOAD_RETRY_DELAYS_MS = [1_000, 3_000, 10_000];

/** What the hand-over says of the history export. */
export const historyRefSchema = z.object({
  uploadId: attachmentId,
  /** The export's database key, base64. */
  key: z
    .string()
    .base64()
    .refine((text) => Buffer.from(text, 'base64').length === KEY_BYTES),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().positive(),
});
export type HistoryRef = z.infer<typeof historyRefSchema>;

/** The history that goes with the keys (see below); linking goes on without it when it fails. */
export interface HistoryHandOver {
  /** Exports and uploads this device's history, its sender-key records under `ownAddresses` left out. */
  send(ownAddresses: string[]): Promise<HistoryRef>;
  /** Brings the linking device's history into this mirror; throws (logged) when it cannot. */
  receive(ref: HistoryRef): Promise<void>;
}

/** Why a history did not arrive, as logged (and shown as one status). */
export class HistoryTransferError extends Error {
  constructor(
    readonly code: 'not_available' | 'download_failed' | 'digest_mismatch' | 'unreadable',
    message: string,
  ) {
    super(message);
    this.name = 'HistoryTransferError';
  }
}

export interface HistoryTransferOptions {
  mirror: Mirror;
  fetch: typeof globalThis.fetch;
  uploadTransport: UploadTransport;
  /** http(s)://host[:port] of the server. */
  httpBase: string;
  token: string;
  /** Its timers space the upload's retries, and its randomness makes the export's key. */
  runtime: Runtime;
}

export class HistoryTransfer {
  constructor(private readonly options: HistoryTransferOptions) {}

  /** On the linking device: exports and uploads this mirror's history; what the hand-over carries. */
  async send(exportOptions: HistoryExportOptions): Promise<HistoryRef> {
    return withScratch(async (dir) => {
      const path = join(dir, 'history.db');
      const key = Buffer.from(this.options.runtime.random.hex(KEY_BYTES), 'hex');
      this.options.mirror.history.exportTo(path, key, exportOptions);
      const bytes = await readFile(path);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const uploadId = await this.upload(bytes, sha256);
      return { uploadId, key: key.toString('base64'), sha256, size: bytes.length };
    });
  }

  /** On the new device: downloads, checks and merges the history the hand-over names. */
  async receive(ref: HistoryRef, selfId: string): Promise<HistoryImportResult> {
    const response = await this.options.fetch(`${this.options.httpBase}${ATTACHMENTS_PATH}/${ref.uploadId}`, {
      headers: { Authorization: `Bearer ${this.options.token}` },
    });
    if (response.status === 404) throw new HistoryTransferError('not_available', 'The server no longer has the history');
    if (response.status !== 200) throw new HistoryTransferError('download_failed', `HTTP ${response.status}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length !== ref.size || createHash('sha256').update(bytes).digest('hex') !== ref.sha256) {
      throw new HistoryTransferError('digest_mismatch', 'The history is not what the linking device sent');
    }
    return withScratch(async (dir) => {
      const path = join(dir, 'history.db');
      await writeFile(path, bytes, { mode: 0o600 });
      try {
        return this.options.mirror.history.importFrom(path, Buffer.from(ref.key, 'base64'), selfId);
      } catch (error) {
        throw new HistoryTransferError('unreadable', error instanceof Error ? error.message : String(error));
      }
    });
  }

  /** tus's own retries would wait on the process's timers; these wait on the runtime's, and resume the same upload. */
  private upload(bytes: Buffer, sha256: string): Promise<string> {
    const { httpBase, token, uploadTransport, runtime } = this.options;
    const retryDelays = [...UPLOAD_RETRY_DELAYS_MS];
    return new Promise((resolve, reject) => {
      const upload = new tus.Upload(bytes, {
        endpoint: `${httpBase}${UPLOADS_PATH}`,
        uploadSize: bytes.length,
        ...(uploadTransport.chunkBytes ? { chunkSize: uploadTransport.chunkBytes } : {}),
        metadata: { [UPLOAD_SHA256_METADATA]: sha256 },
        headers: { Authorization: `Bearer ${token}` },
        ...(uploadTransport.httpStack ? { httpStack: uploadTransport.httpStack } : {}),
        retryDelays: null,
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        onSuccess: () => {
          const id = upload.url?.split('/').pop() ?? '';
          if (attachmentId.safeParse(id).success) resolve(id);
          else reject(new Error(`the server's upload URL ${upload.url ?? ''} names no upload id`));
        },
        onError: (error) => {
          const delay = retryDelays.shift();
          if (delay === undefined) reject(error);
          else runtime.timers.setTimeout(() => upload.start(), delay);
        },
      });
      upload.start();
    });
  }
}

/**
 * Linking's side of the transfer. A failure is logged by its code and upload id (the device works
 * without the history); `imported` runs once it is in the mirror (the connection starts over,
 * catching up from the imported cursors).
 */
export function historyHandOver(transfer: HistoryTransfer, selfId: string, log: Logger, imported: () => void): HistoryHandOver {
  return {
    send: (ownAddresses) => transfer.send({ ownAddresses }),
    async receive(ref) {
      try {
        const result = await transfer.receive(ref, selfId);
        log.info('history transferred from the linking device', { uploadId: ref.uploadId, ...result });
      } catch (error) {
        const code = error instanceof HistoryTransferError ? error.code : 'download_failed';
        log.warn('history could not be transferred', { uploadId: ref.uploadId, code, ...errorFields(error) });
        throw error;
      }
      imported();
    },
  };
}

/** A private directory for one export's file, removed afterwards (the file is encrypted, its key in memory only). */
async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-history-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
