/**
 * Group commit for a store's writes: at most `slots` runs at a time, and what arrives while they
 * are all busy waits and then goes in one batch. An idle store runs a write on its own at once, so
 * light load pays nothing; under load the batches grow by themselves, and each write's share of
 * the database's per-statement and per-commit cost falls as they do.
 *
 * Writes with the same key (a conversation) never run at the same time and keep their order:
 * a batch holds one write per key, and a key with a write in flight waits for it to end. So the
 * writes of one batch never race each other, nor one another of this node.
 *
 * A batch may set some of its writes aside (RUN_ALONE: one that lost a race to another node, or
 * that the batch cannot judge). Each then runs alone as soon as the batch ends, outside the slots,
 * its key still held: a slow write of one conversation never holds up the batches of the others.
 */

/** A batch's answer for a write it did not decide: it must run alone, and nothing of it was written. */
export const RUN_ALONE = Symbol('run alone');

export interface BatchRunner<I, R> {
  /** One write, run alone. */
  one(input: I): Promise<R>;
  /** Two writes or more, with distinct keys: one answer each, in their order. */
  many(inputs: readonly I[]): Promise<Array<R | typeof RUN_ALONE>>;
}

export interface BatchQueueOptions<I> {
  /** Runs (alone or batched) in flight at most. */
  slots: number;
  /** Writes in one batch at most. */
  maxBatch: number;
  keyOf(input: I): string;
}

interface Waiting<I, R> {
  input: I;
  key: string;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class BatchQueue<I, R> {
  private waiting: Array<Waiting<I, R>> = [];
  private readonly busyKeys = new Set<string>();
  private running = 0;

  constructor(
    private readonly runner: BatchRunner<I, R>,
    private readonly options: BatchQueueOptions<I>,
  ) {
    if (options.slots < 1 || options.maxBatch < 1) throw new Error('A batch queue needs a slot and room for one write at least');
  }

  submit(input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ input, key: this.options.keyOf(input), resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.slots) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      this.running += 1;
      void this.run(batch);
    }
  }

  /** The oldest waiting write of each key that is not in flight, oldest first, up to maxBatch. */
  private takeBatch(): Array<Waiting<I, R>> {
    const batch: Array<Waiting<I, R>> = [];
    const left: Array<Waiting<I, R>> = [];
    for (const entry of this.waiting) {
      if (batch.length < this.options.maxBatch && !this.busyKeys.has(entry.key)) {
        this.busyKeys.add(entry.key);
        batch.push(entry);
      } else {
        left.push(entry);
      }
    }
    this.waiting = left;
    return batch;
  }

  private async run(batch: Array<Waiting<I, R>>): Promise<void> {
    const alone: Array<Waiting<I, R>> = [];
    try {
      const [only] = batch;
      const answers =
        batch.length === 1 && only
          ? [await this.runner.one(only.input)]
          : await this.runner.many(batch.map((entry) => entry.input));
      if (answers.length !== batch.length)
        throw new Error(`A batch of ${batch.length} writes answered ${answers.length} results`);
      batch.forEach((entry, i) => {
        const answer = answers[i] as R | typeof RUN_ALONE;
        if (answer === RUN_ALONE) alone.push(entry);
        else entry.resolve(answer);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      for (const entry of batch) if (!alone.includes(entry)) this.busyKeys.delete(entry.key);
      this.running -= 1;
      for (const entry of alone) void this.runAlone(entry);
      this.pump();
    }
  }

  private async runAlone(entry: Waiting<I, R>): Promise<void> {
    try {
      entry.resolve(await this.runner.one(entry.input));
    } catch (error) {
      entry.reject(error);
    } finally {
      this.busyKeys.delete(entry.key);
      this.pump();
    }
  }
}
