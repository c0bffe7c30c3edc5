/**
 * A small pool of worker threads that decrypt sender key chains (opening-worker.ts), so that a
 * catch-up's decrypts run on every core while this thread applies what was opened. Workers start
 * when first needed, each loading libsignal once; they hold the process open only while they have
 * work, and `close` ends them (the engine stops it with itself).
 */
import { createRequire } from 'node:module';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { OPENING_WORKER_SOURCE, type ChainJob, type ChainResult, type JobReply, type JobRequest } from './opening-worker.js';

export interface OpeningPoolOptions {
  /** How many worker threads at most. */
  threads: number;
  /** Starts a worker thread; tests wrap it to reach the threads (to stop one mid-job, say). */
  spawn?: (source: string, options: WorkerOptions) => Worker;
}

/** A worker stopped, or the pool was closed, before the job it held was answered: nothing of it was stored. */
export class OpeningWorkerStopped extends Error {
  override readonly name = 'OpeningWorkerStopped';
}

interface PendingJob {
  envelopes: number;
  resolve(reply: JobReply): void;
  reject(error: Error): void;
}

interface PoolWorker {
  thread: Worker;
  pending: Map<number, PendingJob>;
  /** Envelopes handed to it and not answered yet: the next chain goes to the least loaded. */
  load: number;
}

const spawnWorker = (source: string, options: WorkerOptions): Worker => new Worker(source, options);

export class OpeningPool {
  private readonly workers: PoolWorker[] = [];
  private nextJob = 1;
  private libsignalPath: string | null = null;

  constructor(private readonly options: OpeningPoolOptions) {}

  /** Decrypts each chain in order on one worker, the chains spread over the workers; the results in the chains' order. */
  async open(chains: readonly ChainJob[]): Promise<ChainResult[]> {
    const shares = new Map<PoolWorker, number[]>();
    // Longest first, each to the least loaded worker, so the workers finish together.
    const order = chains.map((_, index) => index).sort((a, b) => chains[b]!.envelopes.length - chains[a]!.envelopes.length);
    for (const index of order) {
      const worker = this.leastLoaded();
      worker.load += chains[index]!.envelopes.length;
      shares.set(worker, [...(shares.get(worker) ?? []), index]);
    }
    const results: ChainResult[] = new Array<ChainResult>(chains.length);
    await Promise.all(
      [...shares].map(async ([worker, indexes]) => {
        const reply = await this.send(
          worker,
          indexes.map((index) => chains[index]!),
        );
        indexes.forEach((index, at) => (results[index] = reply.chains[at]!));
      }),
    );
    return results;
  }

  /** Ends every worker; jobs they held fail with OpeningWorkerStopped. A later `open` starts workers again. */
  async close(): Promise<void> {
    const stopping = this.workers.splice(0);
    for (const worker of stopping) this.fail(worker, new OpeningWorkerStopped('The opening workers were stopped'));
    await Promise.all(stopping.map((worker) => worker.thread.terminate()));
  }

  private leastLoaded(): PoolWorker {
    const idle = this.workers.find((worker) => worker.load === 0);
    if (idle) return idle;
    if (this.workers.length < Math.max(1, this.options.threads)) return this.start();
    return this.workers.reduce((least, worker) => (worker.load < least.load ? worker : least));
  }

  private start(): PoolWorker {
    this.libsignalPath ??= createRequire(import.meta.url).resolve('@signalapp/libsignal-client');
    const thread = (this.options.spawn ?? spawnWorker)(OPENING_WORKER_SOURCE, {
      eval: true,
      workerData: { libsignal: this.libsignalPath },
    });
    // Idle workers never keep the process alive; busy ones do (see send).
    thread.unref();
    const worker: PoolWorker = { thread, pending: new Map(), load: 0 };
    thread.on('message', (reply: JobReply) => {
      const job = worker.pending.get(reply.id);
      if (!job) return;
      worker.pending.delete(reply.id);
      this.unload(worker, job.envelopes);
      job.resolve(reply);
    });
    thread.on('error', (error) => this.stopped(worker, error.message));
    thread.on('exit', (code) => this.stopped(worker, `it exited with code ${code}`));
    this.workers.push(worker);
    return worker;
  }

  private send(worker: PoolWorker, chains: ChainJob[]): Promise<JobReply> {
    const id = this.nextJob++;
    const envelopes = chains.reduce((sum, chain) => sum + chain.envelopes.length, 0);
    return new Promise<JobReply>((resolve, reject) => {
      if (worker.pending.size === 0) worker.thread.ref();
      worker.pending.set(id, { envelopes, resolve, reject });
      const request: JobRequest = { id, chains };
      worker.thread.postMessage(request);
    });
  }

  private unload(worker: PoolWorker, envelopes: number): void {
    worker.load -= envelopes;
    if (worker.pending.size === 0) worker.thread.unref();
  }

  /** A worker died (or exited): it leaves the pool, and what it held fails; the next job starts another. */
  private stopped(worker: PoolWorker, reason: string): void {
    const at = this.workers.indexOf(worker);
    if (at >= 0) this.workers.splice(at, 1);
    this.fail(worker, new OpeningWorkerStopped(`An opening worker stopped: ${reason}`));
  }

  private fail(worker: PoolWorker, error: Error): void {
    const jobs = [...worker.pending.values()];
    worker.pending.clear();
    worker.load = 0;
    worker.thread.unref();
    for (const job of jobs) job.reject(error);
  }
}
