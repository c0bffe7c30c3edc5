import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';
import { z } from 'zod';
import type { AppEvent } from '../../app-api/contract.js';
import type { Runtime, TimerHandle } from '../../common/runtime.js';
import { attachmentId, CHECKSUM_MISMATCH_STATUS, UPLOAD_SHA256_METADATA, UPLOADS_PATH } from '../../protocol/attachments.js';
import { refusalReasonSchema } from '../../protocol/frames.js';
import type { BackoffPolicy } from '../backoff.js';
import type { AttachmentKey, UploadJob } from '../mirror/attachments.js';
import type { Mirror } from '../mirror/mirror.js';
import { BlobStoreError, type BlobStore } from './blob-store.js';
import { keyOf, type TransferTracker } from './transfer-tracker.js';
import { TransferQueue } from './transfer-queue.js';

const MAX_PARALLEL = 3;
/** Each chunk is one PATCH; its confirmed offset is written to the mirror, so a restart loses at most one. */
const CHUNK_BYTES = 8 * 1024 * 1024;
export const UPLOAD_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };
/** An attempt that moves no byte for this long (a stalled network) is dropped and tried again. */
const STALL_MS = 30_000;
/** Refusals that no retry of the same bytes can change: they fail the message. */
const REFUSAL_STATUSES = new Set([400, 403, 413, CHECKSUM_MISMATCH_STATUS]);
const UNREADABLE = new Set(['ENOENT', 'EACCES', 'EISDIR', 'EIO']);

/**
 * How uploads reach the server: tus's own Node HTTP client, unless a test runs them over something
 * else (the simulation: its in-memory network and virtual clock).
 */
export interface UploadTransport {
  httpStack?: tus.HttpStack;
  /** Bytes per PATCH (default 8 MiB): each confirmed one is recorded, so a restart loses at most one. */
  chunkBytes?: number;
}

export const nodeUploadTransport: UploadTransport = {};

/**
 * What tus reads an upload through: the stored sealed file as it is on disk, one PATCH's range at
 * a time (the server gets ciphertext, and a resumed upload reads on from the server's offset).
 * Each range is a stream, so a request's size costs no memory.
 */
function storedFileReader(blobs: BlobStore, sha256: string, size: number): NonNullable<tus.UploadOptions['fileReader']> {
  return {
    openFile: () =>
      Promise.resolve({
        size,
        slice(start: number, end: number) {
          const last = Math.min(end, size);
          // tus sends `size` as the request's Content-Length, as for its own Node streams.
          const value = Object.assign(blobs.readSealed(sha256, { start, end: last - 1 }), { size: last - start });
          return Promise.resolve({ value, done: last >= size });
        },
        close() {},
      }),
  };
}

/**
 * Sends a request body that is a stream as tus's own stack does, and ties the stream's life to the
 * request: a stream that fails (the stored file is damaged) fails the request with its error, and
 * a request that ends or is aborted before the stream is over closes the stream (and its file).
 */
function streamBodies(stack: tus.HttpStack): tus.HttpStack {
  return {
    getName: () => stack.getName(),
    createRequest(method, url) {
      const request = stack.createRequest(method, url);
      let body: Readable | null = null;
      return {
        getMethod: () => request.getMethod(),
        getURL: () => request.getURL(),
        setHeader: (header, value) => request.setHeader(header, value),
        getHeader: (header) => request.getHeader(header),
        setProgressHandler: (handler) => request.setProgressHandler(handler),
        getUnderlyingObject: (): unknown => request.getUnderlyingObject(),
        send(value: unknown) {
          if (!(value instanceof Readable)) return request.send(value);
          const stream = value;
          body = stream;
          return new Promise<tus.HttpResponse>((resolve, reject) => {
            const fail = (error: Error) => {
              void request.abort();
              reject(error);
            };
            stream.once('error', fail);
            request
              .send(stream)
              .then(resolve, reject)
              .finally(() => {
                stream.off('error', fail);
                stream.destroy();
              });
          });
        },
        abort() {
          body?.destroy();
          return request.abort();
        },
      };
    },
  };
}

export interface UploaderOptions {
  mirror: Mirror;
  transport: UploadTransport;
  blobs: BlobStore;
  runtime: Runtime;
  /** http(s)://host[:port] of the server. */
  httpBase: string;
  token: string;
  tracker: TransferTracker;
  emit(event: AppEvent): void;
  /**
   * An upload finished or was refused: the outbox may move on (send its message now, or the
   * messages queued behind one that failed).
   */
  onUploadSettled(): void;
}

type Outcome =
  | { kind: 'done'; attachmentId: string }
  | { kind: 'refused'; reason: string }
  /** The server no longer has the upload: start a new one. */
  | { kind: 'restart' }
  | { kind: 'retry'; message: string }
  /** The row went away (the message was withdrawn) or the uploader stopped. */
  | { kind: 'gone' };

/**
 * Uploads own attachments with tus, up to three at a time, in compose order, independently of the
 * outbox (which sends a message once all its files are up). The upload's URL is written to the
 * mirror before any byte goes, and each confirmed chunk's offset after it, so a restart, a kill
 * or a dropped connection resumes from the server's offset. Transient failures back off;
 * refusals (too large, over quota, checksum mismatch) fail the message with the server's reason,
 * which never holds up other conversations.
 */
export class Uploader {
  private readonly queue: TransferQueue<UploadJob>;

  constructor(private readonly options: UploaderOptions) {
    this.queue = new TransferQueue<UploadJob>({
      runtime: options.runtime,
      backoff: UPLOAD_BACKOFF,
      maxParallel: MAX_PARALLEL,
      jobs: () => options.mirror.attachments.pendingUploads(),
      keyOf,
      attempt: (job, key, signal) => this.run(job, key, signal),
    });
  }

  setOnline(online: boolean): void {
    this.queue.setOnline(online);
  }

  /** Cuts off the uploads under way (they resume from where the server is when online again). */
  interrupt(): void {
    this.queue.interrupt();
  }

  /** Starts what is pending, up to the limit of parallel uploads. */
  kick(): void {
    this.queue.kick();
  }

  /** Cancels every upload (the rows stay pending, resumed at the next start). */
  stop(): void {
    this.queue.stop();
  }

  private async run(job: UploadJob, key: string, signal: AbortSignal): Promise<void> {
    const { mirror, tracker } = this.options;
    let outcome: Outcome;
    this.options.tracker.start(job, 'upload', job.uploadOffset, job.size);
    this.changed(job);
    try {
      outcome = await this.attempt(job, signal);
    } catch (error) {
      outcome = classify(error);
    } finally {
      tracker.end(job);
    }
    if (this.queue.isStopped) return;
    switch (outcome.kind) {
      case 'done':
        this.queue.settled(key);
        mirror.attachments.uploadDone(job, outcome.attachmentId);
        this.options.onUploadSettled();
        break;
      case 'refused':
        this.queue.settled(key);
        mirror.transaction(() => {
          mirror.attachments.uploadFailed(job, outcome.reason);
          mirror.failSend(job.conversationId, job.messageId, outcome.reason);
        });
        this.options.emit({ type: 'conversations' });
        this.options.onUploadSettled();
        break;
      case 'restart':
        mirror.attachments.setUploadUrl(job, null);
        this.queue.retryLater(key);
        break;
      case 'retry':
        this.queue.retryLater(key);
        break;
      case 'gone':
        break;
    }
    this.changed(job);
  }

  private attempt(job: UploadJob, signal: AbortSignal): Promise<Outcome> {
    const { mirror, blobs, runtime } = this.options;
    // Composed before files were encrypted for sending: its message has no key to give.
    if (job.key === null) return Promise.resolve({ kind: 'refused', reason: 'file_unreadable' });
    return new Promise<Outcome>((resolve, reject) => {
      const { transport } = this.options;
      let knownUrl = job.uploadUrl;
      let moved = true;
      let watchdog: TimerHandle | null = null;
      // After the attempt is settled (given up, stopped) nothing of it may touch the mirror, which
      // may be closed by then: a response already under way still calls back into here.
      let settled = false;
      const settle = (outcome: Outcome | Error) => {
        if (settled) return;
        settled = true;
        if (watchdog) runtime.timers.clearTimeout(watchdog);
        watchdog = null;
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const giveUp = (outcome: Outcome) => {
        void upload.abort();
        settle(outcome);
      };
      const watch = () => {
        watchdog = runtime.timers.setTimeout(() => {
          if (!moved) {
            giveUp({ kind: 'retry', message: `no progress for ${STALL_MS} ms` });
            return;
          }
          moved = false;
          watch();
        }, STALL_MS);
      };
      // The input is only handed to the file reader, which reads the store itself.
      const upload = new tus.Upload(Buffer.alloc(0), {
        fileReader: storedFileReader(blobs, job.sha256, job.size),
        endpoint: `${this.options.httpBase}${UPLOADS_PATH}`,
        uploadUrl: job.uploadUrl,
        uploadSize: job.size,
        chunkSize: transport.chunkBytes ?? CHUNK_BYTES,
        metadata: { [UPLOAD_SHA256_METADATA]: job.sha256 },
        headers: { Authorization: `Bearer ${this.options.token}` },
        httpStack: streamBodies(transport.httpStack ?? new tus.DefaultHttpStack({})),
        // Retries, their timing and where the URL is kept are ours (the mirror, the runtime's timers).
        retryDelays: null,
        storeFingerprintForResuming: false,
        removeFingerprintOnSuccess: false,
        onUploadUrlAvailable: () => {
          if (settled) return;
          moved = true;
          // Called before the first byte of a new upload goes: the URL must be on disk by then.
          if (upload.url === knownUrl) return;
          knownUrl = upload.url;
          if (!mirror.attachments.setUploadUrl(job, upload.url)) giveUp({ kind: 'gone' });
        },
        onChunkComplete: (_chunkBytes, acceptedBytes) => {
          if (settled) return;
          moved = true;
          if (!mirror.attachments.setUploadOffset(job, acceptedBytes)) giveUp({ kind: 'gone' });
        },
        onProgress: (sentBytes) => {
          moved = true;
          this.options.tracker.progress(job, sentBytes);
        },
        onSuccess: () => {
          const id = upload.url?.split('/').pop() ?? '';
          if (attachmentId.safeParse(id).success) settle({ kind: 'done', attachmentId: id });
          else settle({ kind: 'retry', message: `the server's upload URL ${upload.url ?? ''} names no attachment id` });
        },
        onError: (error) => settle(error),
      });
      signal.addEventListener('abort', () => giveUp({ kind: 'gone' }), { once: true });
      watch();
      upload.start();
    });
  }

  private changed(key: AttachmentKey): void {
    this.options.emit({ type: 'messages', conversationId: key.conversationId });
  }
}

/** What a failed attempt means: a refusal of these bytes, an upload the server lost, or a passing fault. */
function classify(error: unknown): Outcome {
  if (error instanceof tus.DetailedError && error.originalResponse) {
    const status = error.originalResponse.getStatus();
    if (REFUSAL_STATUSES.has(status)) return { kind: 'refused', reason: refusalReason(status, error.originalResponse.getBody()) };
    if (status === 404 || status === 410) return { kind: 'restart' };
    return { kind: 'retry', message: error.message };
  }
  const cause = error instanceof tus.DetailedError ? error.causingError : error;
  // Gone, or damaged (it no longer decrypts): no retry can read it.
  if (cause instanceof BlobStoreError && cause.code === 'file_unreadable') return { kind: 'refused', reason: 'file_unreadable' };
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && UNREADABLE.has(code)) return { kind: 'refused', reason: 'file_unreadable' };
  return { kind: 'retry', message: error instanceof Error ? error.message : String(error) };
}

/** What the server's refusals say in their JSON body (docs/protocol.md §15): the reason code is all this reads. */
const refusalBody = z.object({ reason: refusalReasonSchema });

/** The server's reason code from its JSON body, else what its status says. */
function refusalReason(status: number, body: string): string {
  try {
    const refusal = refusalBody.safeParse(JSON.parse(body));
    if (refusal.success) return refusal.data.reason;
  } catch {
    // Not JSON: judged by the status alone.
  }
  switch (status) {
    case 413:
      return 'file_too_large';
    case CHECKSUM_MISMATCH_STATUS:
      return 'checksum_mismatch';
    case 403:
      return 'quota_exceeded';
    default:
      return body.trim().slice(0, 200) || `HTTP ${status}`;
  }
}
