import type { AppEvent } from '../../app-api/contract.js';
import type { Runtime } from '../../common/runtime.js';
import type { Mirror } from '../mirror/mirror.js';
import type { BlobStore } from './blob-store.js';
import { Downloader } from './downloader.js';
import { TransferTracker } from './transfer-tracker.js';
import { Uploader, type UploadTransport } from './uploader.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AttachmentTransfersOptions {
  mirror: Mirror;
  blobs: BlobStore;
  runtime: Runtime;
  fetch: typeof globalThis.fetch;
  uploadTransport: UploadTransport;
  httpBase: string;
  token: string;
  emit(event: AppEvent): void;
  /** An upload finished or was refused: the outbox may move on. */
  onUploadSettled(): void;
}

/** The uploads and downloads of one signed-in session; they run while the connection is online. */
export class AttachmentTransfers {
  readonly tracker: TransferTracker;
  private readonly uploader: Uploader;
  private readonly downloader: Downloader;

  constructor(options: AttachmentTransfersOptions) {
    const { mirror, blobs, runtime, httpBase, token } = options;
    const emit = (event: AppEvent) => options.emit(event);
    this.tracker = new TransferTracker(runtime.clock, emit);
    const common = { mirror, blobs, runtime, httpBase, token, emit, tracker: this.tracker };
    this.uploader = new Uploader({
      ...common,
      transport: options.uploadTransport,
      onUploadSettled: () => options.onUploadSettled(),
    });
    this.downloader = new Downloader({ ...common, fetch: options.fetch });
    // Whatever the last run was downloading when it stopped is queued again.
    options.mirror.attachments.requeueInterruptedDownloads();
  }

  setOnline(online: boolean): void {
    this.uploader.setOnline(online);
    this.downloader.setOnline(online);
  }

  /** Work offline: cut off now, not only when the next attempt would start. */
  interrupt(): void {
    this.uploader.interrupt();
    this.downloader.interrupt();
  }

  /** New own files (compose, retry) or received ones may be waiting. */
  kick(): void {
    this.uploader.kick();
    this.downloader.kick();
  }

  stop(): void {
    this.uploader.stop();
    this.downloader.stop();
  }
}

/**
 * Removes from the profile's store the files no message or installed sticker pack refers to any
 * more (deleted messages, attachments never sent), and partial downloads nobody waits for, once a day old: a file just
 * put in the store for a message still being written is not referenced yet.
 */
export async function collectAttachmentGarbage(mirror: Mirror, blobs: BlobStore, now: number): Promise<string[]> {
  const wanted = mirror.attachments.wantedPartials();
  return blobs.collectGarbage(
    (sha256) => mirror.attachments.refersTo(sha256) || mirror.stickerPacks.refersTo(sha256),
    (id) => wanted.has(id),
    now - DAY_MS,
  );
}
