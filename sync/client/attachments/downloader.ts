import { promises as fs } from 'node:fs';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { AppEvent } from '../../app-api/contract.js';
import type { TransferError } from '../../app-api/transfer-errors.js';
import type { Runtime } from '../../common/runtime.js';
import { ATTACHMENTS_PATH } from '../../protocol/attachments.js';
import type { BackoffPolicy } from '../backoff.js';
import type { DownloadJob } from '../mirror/attachments.js';
import type { Mirror } from '../mirror/mirror.js';
import { PRIVATE_FILE_MODE } from '../../node/private-files.js';
import { BlobStoreError, type BlobStore } from './blob-store.js';
import type { IncomingCheck } from './incoming-check.js';
import { keyOf, type TransferTracker } from './transfer-tracker.js';
import { TransferQueue } from './transfer-queue.js';

const MAX_PARALLEL = 3;
/** Bytes gathered before a write: one write per network read cost more than the bytes. */
const WRITE_BYTES = 1024 * 1024;
export const DOWNLOAD_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };
/** The server says this person may not have the file, or it no longer exists. */
const NOT_AVAILABLE_STATUSES = new Set([401, 403, 404, 410]);

export interface DownloaderOptions {
  mirror: Mirror;
  blobs: BlobStore;
  runtime: Runtime;
  fetch: typeof globalThis.fetch;
  /** http(s)://host[:port] of the server. */
  httpBase: string;
  token: string;
  tracker: TransferTracker;
  emit(event: AppEvent): void;
}

type Outcome = { kind: 'done' } | { kind: 'failed'; error: TransferError } | { kind: 'retry'; message: string };

/**
 * Fetches received attachments into the profile's store, up to three at a time: images by
 * themselves, other files when asked. The server sends the sealed file its sender uploaded; its
 * bytes are kept as they arrive in a file that survives restarts, so the next attempt asks only
 * for the rest (Range). The file becomes visible only once its bytes hash to the SHA-256 the
 * sender declared and every chunk opens under the key from the message (BlobStore.commitIncoming).
 */
export class Downloader {
  private readonly queue: TransferQueue<DownloadJob>;

  constructor(private readonly options: DownloaderOptions) {
    this.queue = new TransferQueue<DownloadJob>({
      runtime: options.runtime,
      backoff: DOWNLOAD_BACKOFF,
      maxParallel: MAX_PARALLEL,
      jobs: () => options.mirror.attachments.queuedDownloads(),
      keyOf,
      attempt: (job, key, signal) => this.run(job, key, signal),
    });
  }

  setOnline(online: boolean): void {
    this.queue.setOnline(online);
  }

  kick(): void {
    this.queue.kick();
  }

  /** Cuts off the downloads under way (they resume from what arrived when online again). */
  interrupt(): void {
    this.queue.interrupt();
  }

  /** Cancels every download; what arrived stays on disk for the next start. */
  stop(): void {
    this.queue.stop();
  }

  private async run(job: DownloadJob, key: string, signal: AbortSignal): Promise<void> {
    const { mirror, blobs, tracker } = this.options;
    let outcome: Outcome;
    try {
      if (!mirror.attachments.setDownloadState(job, 'active')) return;
      this.changed(job);
      outcome = await this.attempt(job, signal);
    } catch (error) {
      outcome = classify(error);
    } finally {
      tracker.end(job);
    }
    if (this.queue.isStopped) return;
    let stillWanted: boolean;
    switch (outcome.kind) {
      case 'done':
        this.queue.settled(key);
        stillWanted = mirror.attachments.setDownloadState(job, 'done');
        break;
      case 'failed':
        this.queue.settled(key);
        stillWanted = mirror.attachments.setDownloadState(job, 'failed', outcome.error);
        // Bytes that are not the declared file are worth nothing to a later attempt.
        if (outcome.error === 'checksum_mismatch') await blobs.discardIncoming(job.attachmentId).catch(() => undefined);
        break;
      case 'retry':
        stillWanted = mirror.attachments.setDownloadState(job, 'queued');
        if (stillWanted) this.queue.retryLater(key);
        break;
    }
    // The message was deleted meanwhile: nothing will ask for these bytes again.
    if (!stillWanted) await blobs.discardIncoming(job.attachmentId).catch(() => undefined);
    this.changed(job);
  }

  private async attempt(job: DownloadJob, signal: AbortSignal): Promise<Outcome> {
    const { blobs, tracker } = this.options;
    // A plain file from before encryption: the server holds no such upload any more.
    if (job.key === null) return { kind: 'failed', error: 'not_available' };
    // The same sealed file is here already (attached here, or received in another message).
    if ((await blobs.fileSize(job.sha256)) === job.size) return { kind: 'done' };
    const offset = await blobs.incomingSize(job.attachmentId, job.size);
    tracker.start(job, 'download', offset, job.size);
    const expected = { sha256: job.sha256, size: job.size, key: Buffer.from(job.key, 'base64') };
    // Checked as it comes (a download resumed after what is on disk checks that part first); what
    // was all here already is checked by reading it.
    let check: IncomingCheck | undefined;
    if (offset < job.size) {
      const response = await this.options.fetch(`${this.options.httpBase}${ATTACHMENTS_PATH}/${job.attachmentId}`, {
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}),
        },
        signal,
      });
      if (NOT_AVAILABLE_STATUSES.has(response.status)) {
        await response.body?.cancel();
        return { kind: 'failed', error: 'not_available' };
      }
      const resumed =
        offset > 0 && response.status === 206 && contentRangeStart(response.headers.get('content-range')) === offset;
      if ((response.status !== 200 && !resumed) || !response.body) {
        await response.body?.cancel();
        // A range that no longer fits (416): start over from nothing next time.
        if (response.status === 416 || response.status === 206) await blobs.discardIncoming(job.attachmentId);
        return { kind: 'retry', message: `HTTP ${response.status}` };
      }
      let received = resumed ? offset : 0;
      check = await blobs.checkIncoming(job.attachmentId, resumed ? offset : 0, expected);
      // The bytes go to disk as they come (a few at a time): they are the sealed file, encrypted already.
      const out = await fs.open(blobs.incomingPath(job.attachmentId), resumed ? 'a' : 'w', PRIVATE_FILE_MODE);
      let unwritten: Buffer[] = [];
      let unwrittenBytes = 0;
      try {
        for await (const chunk of response.body as NodeReadableStream<Uint8Array>) {
          // More than the sender declared is not that file: stop before it reaches the disk.
          if (received + chunk.length > job.size) {
            throw new BlobStoreError('checksum_mismatch', `The server sent more than the ${job.size} bytes declared`);
          }
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          check.update(bytes);
          unwritten.push(bytes);
          unwrittenBytes += bytes.length;
          received += bytes.length;
          if (unwrittenBytes >= WRITE_BYTES) {
            await out.writev(unwritten);
            unwritten = [];
            unwrittenBytes = 0;
            tracker.progress(job, received);
          }
        }
      } finally {
        // What came is kept, even when the download broke off: the next attempt asks for the rest.
        if (unwritten.length > 0) await out.writev(unwritten).finally(() => out.close());
        else await out.close();
      }
      tracker.progress(job, received);
      // Cut off without an error: what came is kept, and the next attempt asks for the rest.
      if (received < job.size) return { kind: 'retry', message: `The download ended after ${received} bytes` };
    }
    await blobs.commitIncoming(job.attachmentId, expected, check);
    return { kind: 'done' };
  }

  private changed(job: DownloadJob): void {
    this.options.emit({ type: 'messages', conversationId: job.conversationId });
  }
}

function contentRangeStart(header: string | null): number | null {
  const match = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  return match ? Number(match[1]) : null;
}

function classify(error: unknown): Outcome {
  if (error instanceof BlobStoreError) {
    switch (error.code) {
      case 'checksum_mismatch':
      case 'disk_full':
        return { kind: 'failed', error: error.code };
      case 'file_too_large':
      case 'empty_file':
      case 'file_unreadable':
        return { kind: 'retry', message: error.message };
    }
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return { kind: 'failed', error: 'disk_full' };
  return { kind: 'retry', message: error instanceof Error ? error.message : String(error) };
}
