import { describe, expect, it } from 'vitest';
import { BatchQueue, RUN_ALONE, type BatchRunner } from '../../../sync/server/store/batch-queue.js';

interface Write {
  key: string;
  id: string;
}

/** A runner whose runs end only when the test says so, recording each run's writes. */
function heldRunner() {
  const runs: Array<{ ids: string[]; finish(): void; fail(error: Error): void }> = [];
  const start = (inputs: readonly Write[]) =>
    new Promise<string[]>((resolve, reject) => {
      runs.push({
        ids: inputs.map((input) => input.id),
        finish: () => resolve(inputs.map((input) => `done ${input.id}`)),
        fail: reject,
      });
    });
  const runner: BatchRunner<Write, string> = {
    one: async (input) => (await start([input]))[0]!,
    many: (inputs) => start(inputs),
  };
  return { runner, runs };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function queueOf(runner: BatchRunner<Write, string>, slots = 2, maxBatch = 64) {
  return new BatchQueue(runner, { slots, maxBatch, keyOf: (input: Write) => input.key });
}

describe('BatchQueue', () => {
  it('runs a write alone at once while a slot is free, and gathers what waits into one batch', async () => {
    const { runner, runs } = heldRunner();
    const queue = queueOf(runner);
    const answers = ['a', 'b', 'c', 'd', 'e'].map((key) => queue.submit({ key, id: key }));
    expect(runs.map((run) => run.ids)).toEqual([['a'], ['b']]);

    runs[0]!.finish();
    await tick();
    expect(runs.map((run) => run.ids)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    runs[1]!.finish();
    runs[2]!.finish();
    expect(await Promise.all(answers)).toEqual(['done a', 'done b', 'done c', 'done d', 'done e']);
  });

  it('never runs two writes of one key at once, and keeps their order', async () => {
    const { runner, runs } = heldRunner();
    const queue = queueOf(runner, 3);
    const answers = [
      queue.submit({ key: 'x', id: 'x1' }),
      queue.submit({ key: 'x', id: 'x2' }),
      queue.submit({ key: 'y', id: 'y1' }),
      queue.submit({ key: 'x', id: 'x3' }),
    ];
    // x2 waits for x1 though a slot is free; y1 passes it.
    expect(runs.map((run) => run.ids)).toEqual([['x1'], ['y1']]);
    runs[0]!.finish();
    await tick();
    expect(runs.map((run) => run.ids)).toEqual([['x1'], ['y1'], ['x2']]);
    runs[2]!.finish();
    await tick();
    expect(runs.map((run) => run.ids)).toEqual([['x1'], ['y1'], ['x2'], ['x3']]);
    runs[1]!.finish();
    runs[3]!.finish();
    expect(await Promise.all(answers)).toEqual(['done x1', 'done x2', 'done y1', 'done x3']);
  });

  it('holds a batch to maxBatch writes, oldest first', async () => {
    const { runner, runs } = heldRunner();
    const queue = queueOf(runner, 1, 2);
    const answers = ['a', 'b', 'c', 'd'].map((key) => queue.submit({ key, id: key }));
    runs[0]!.finish();
    await tick();
    expect(runs.map((run) => run.ids)).toEqual([['a'], ['b', 'c']]);
    runs[1]!.finish();
    await tick();
    expect(runs.map((run) => run.ids)).toEqual([['a'], ['b', 'c'], ['d']]);
    runs[2]!.finish();
    expect(await Promise.all(answers)).toHaveLength(4);
  });

  it('fails only the writes of a run that failed, and frees their slot and keys', async () => {
    const { runner, runs } = heldRunner();
    const queue = queueOf(runner, 1);
    const first = queue.submit({ key: 'x', id: 'x1' });
    const batched = [queue.submit({ key: 'x', id: 'x2' }), queue.submit({ key: 'y', id: 'y1' })];
    runs[0]!.finish();
    await tick();
    runs[1]!.fail(new Error('the database went away'));
    await expect(Promise.all(batched)).rejects.toThrow('the database went away');
    expect(await first).toBe('done x1');

    const after = queue.submit({ key: 'x', id: 'x3' });
    expect(runs.map((run) => run.ids)).toEqual([['x1'], ['x2', 'y1'], ['x3']]);
    runs[2]!.finish();
    expect(await after).toBe('done x3');
  });

  it('runs a write the batch set aside alone once the batch ends, outside the slots, its key still held', async () => {
    const alone: Array<{ id: string; finish(): void }> = [];
    const batches: string[][] = [];
    const queue = new BatchQueue<Write, string>(
      {
        one: (input) =>
          new Promise((resolve) => {
            alone.push({ id: input.id, finish: () => resolve(`alone ${input.id}`) });
          }),
        many: async (inputs) => {
          batches.push(inputs.map((input) => input.id));
          return inputs.map((input) => (input.key === 'x' ? RUN_ALONE : `batched ${input.id}`));
        },
      },
      { slots: 1, maxBatch: 8, keyOf: (input) => input.key },
    );
    const first = queue.submit({ key: 'w', id: 'w1' });
    const batched = [queue.submit({ key: 'x', id: 'x1' }), queue.submit({ key: 'y', id: 'y1' })];
    alone[0]!.finish();
    expect(await first).toBe('alone w1');
    expect(await batched[1]).toBe('batched y1');
    expect(batches).toEqual([['x1', 'y1']]);
    expect(alone.map((run) => run.id)).toEqual(['w1', 'x1']);

    // The slot is free while x1 runs alone, so z1 takes it at once; x2 waits for x1, v1 for the slot.
    const later = [
      queue.submit({ key: 'x', id: 'x2' }),
      queue.submit({ key: 'z', id: 'z1' }),
      queue.submit({ key: 'v', id: 'v1' }),
    ];
    expect(alone.map((run) => run.id)).toEqual(['w1', 'x1', 'z1']);
    alone[1]!.finish();
    expect(await batched[0]).toBe('alone x1');
    alone[2]!.finish();
    expect(await later[1]).toBe('alone z1');
    await tick();
    expect(batches).toEqual([
      ['x1', 'y1'],
      ['x2', 'v1'],
    ]);
    expect(alone.map((run) => run.id)).toEqual(['w1', 'x1', 'z1', 'x2']);
    alone[3]!.finish();
    expect(await Promise.all(later)).toEqual(['alone x2', 'alone z1', 'batched v1']);
  });

  it('rejects a batch whose runner answered a different number of results', async () => {
    const queue = new BatchQueue<Write, string>(
      { one: async (input) => input.id, many: async () => ['only one'] },
      { slots: 1, maxBatch: 8, keyOf: (input) => input.key },
    );
    const alone = queue.submit({ key: 'a', id: 'a' });
    const batched = [queue.submit({ key: 'b', id: 'b' }), queue.submit({ key: 'c', id: 'c' })];
    expect(await alone).toBe('a');
    await expect(Promise.all(batched)).rejects.toThrow('A batch of 2 writes answered 1 results');
  });
});
