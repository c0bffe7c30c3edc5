import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './sqlite.js';

/**
 * Checkpoints a WAL database from a worker thread with a connection of its own, so the thread that
 * writes never does. Left to SQLite, the commit that takes the WAL past 1,000 pages copies them into
 * the database file and waits for the disk to flush it, on the thread that serves everyone: on the
 * server, about one send in a hundred took 1–20 ms instead of 0.2 (5,000 sends in-process on one
 * SQLite node: p99 934 µs and max 19–21 ms, against 363–373 µs and 2.5–10 ms with this worker).
 *
 * The client's mirror uses it too: there every commit is a message sent or received, and the one
 * that crossed the threshold held that message up by the time of two fsyncs.
 *
 * The worker runs a PASSIVE checkpoint every `intervalMs`: it copies what no reader still needs and
 * never blocks a writer, which starts the WAL over by itself once everything was copied. Until the
 * worker is ready, and again if it fails, the writer checkpoints as SQLite does by default, so the
 * WAL can never grow without bound.
 */
export interface BackgroundCheckpoints {
  /**
   * With a page count, the worker stops checkpointing and the writer checkpoints once the WAL
   * passes that many pages (a bulk write that rewrites the same pages copies them once, later);
   * with null, the worker takes over again. The writer's policy changes at once; the worker's
   * when it reads the message, which the promise waits for (a checkpoint it had begun may end
   * meanwhile).
   */
  pause(writerPages: number | null): Promise<void>;
  /** Stops the worker after a last checkpoint; the writer checkpoints by itself again. */
  close(): Promise<void>;
}

export interface BackgroundCheckpointOptions {
  intervalMs?: number;
  /** The database's key (database-key.ts), when it is encrypted. */
  key?: Uint8Array;
  /** The driver's native binding, when it is not the default one (Electron). */
  nativeBinding?: string;
  /** The worker failed (the writer has taken the checkpoints back): for the log. */
  onError: (error: Error) => void;
}

const DEFAULT_INTERVAL_MS = 250;
/** SQLite's own default for wal_autocheckpoint, in pages. */
const WRITER_CHECKPOINT_PAGES = 1000;

// CommonJS evaluated in the worker, so it needs no loader for TypeScript.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
if (workerData.keyHex) {
  db.pragma("cipher = 'sqlcipher'");
  db.pragma('key = "x' + "'" + workerData.keyHex + "'" + '"');
}
db.pragma('busy_timeout = 1000');
let failed = false;
let paused = false;
const checkpoint = () => {
  if (failed || paused) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    failed = true;
    parentPort.postMessage({ type: 'failed', message: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'pause' || message === 'resume') {
    paused = message === 'pause';
    parentPort.postMessage({ type: 'heard' });
    return;
  }
  if (message !== 'close') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
parentPort.postMessage({ type: 'ready' });
`;

export function startBackgroundCheckpoints(db: Db, options: BackgroundCheckpointOptions): BackgroundCheckpoints {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3-multiple-ciphers'),
      path: db.name,
      intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
      ...(options.key ? { keyHex: Buffer.from(options.key).toString('hex') } : {}),
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    },
  });
  // The database's owner decides when the process ends, not this helper.
  worker.unref();
  let ready = false;
  let closing = false;
  let failed = false;
  let pausedPages: number | null = null;
  /** Pauses and resumes the worker has yet to hear, in the order they were told. */
  const unheard: Array<() => void> = [];
  const heardAll = () => unheard.splice(0).forEach((heard) => heard());
  /** How often the writer checkpoints by itself: never while the worker does it. */
  const writerPolicy = () => {
    if (!db.open) return;
    const pages = pausedPages ?? (ready && !failed && !closing ? 0 : WRITER_CHECKPOINT_PAGES);
    db.pragma(`wal_autocheckpoint = ${pages}`);
  };
  const fail = (error: Error) => {
    const first = !failed && !closing;
    failed = true;
    writerPolicy();
    heardAll();
    if (first) options.onError(error);
  };
  worker.on('message', (message: { type: 'ready' } | { type: 'heard' } | { type: 'failed'; message: string }) => {
    switch (message.type) {
      case 'ready':
        ready = true;
        writerPolicy();
        return;
      case 'heard':
        unheard.shift()?.();
        return;
      case 'failed':
        fail(new Error(`Background checkpoints stopped: ${message.message}`));
        return;
      default: {
        const unknown: never = message;
        throw new Error(`Unknown message from the checkpoint worker: ${JSON.stringify(unknown)}`);
      }
    }
  });
  worker.on('error', (error) => fail(error));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => {
    heardAll();
    if (!closing) fail(new Error('The checkpoint worker exited'));
  });
  return {
    pause(writerPages) {
      pausedPages = writerPages;
      writerPolicy();
      if (closing || failed) return Promise.resolve();
      worker.postMessage(writerPages === null ? 'resume' : 'pause');
      return new Promise<void>((heard) => unheard.push(heard));
    },
    async close() {
      if (closing) return exited;
      closing = true;
      writerPolicy();
      // Held until it has closed: otherwise a process with nothing else to do would end first.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
