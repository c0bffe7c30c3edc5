import { describe, expect, it } from 'vitest';
import { TransferQueue } from '../../../sync/client/attachments/transfer-queue.js';
import { SeededRandom } from '../../sim/random.js';
import { Scheduler } from '../../sim/scheduler.js';

/** A queue over plain string jobs on virtual time; each attempt waits until the test ends it. */
function queueOf(jobs: string[]) {
  const scheduler = new Scheduler();
  const runtime = scheduler.runtimeFor({ name: 'core', alive: true }, new SeededRandom(1));
  const started: string[] = [];
  const finish = new Map<string, (outcome: 'done' | 'retry') => void>();
  const aborted: string[] = [];
  const queue: TransferQueue<string> = new TransferQueue<string>({
    runtime,
    backoff: { baseMs: 1_000, maxMs: 60_000 },
    maxParallel: 2,
    jobs: () => [...jobs],
    keyOf: (job) => job,
    attempt: (job, key, signal) => {
      started.push(job);
      signal.addEventListener('abort', () => aborted.push(job));
      return new Promise<void>((resolve) =>
        finish.set(job, (outcome) => {
          if (outcome === 'done') {
            jobs.splice(jobs.indexOf(job), 1);
            queue.settled(key);
          } else {
            queue.retryLater(key);
          }
          resolve();
        }),
      );
    },
  });
  return { queue, scheduler, started, finish, aborted };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TransferQueue', () => {
  it('runs nothing offline, then at most maxParallel at once, each job once, the next as one ends', async () => {
    const { queue, started, finish } = queueOf(['a', 'b', 'c']);
    queue.kick();
    expect(started).toEqual([]);
    queue.setOnline(true);
    queue.kick();
    expect(started).toEqual(['a', 'b']);
    finish.get('a')!('done');
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
  });

  it('tries a failed job again after a backoff, at once when the connection comes back', async () => {
    const { queue, scheduler, started, finish } = queueOf(['a']);
    queue.setOnline(true);
    finish.get('a')!('retry');
    await settle();
    expect(started).toEqual(['a']);
    await scheduler.advance(1_500);
    expect(started).toEqual(['a', 'a']);
    finish.get('a')!('retry');
    await settle();
    queue.setOnline(false);
    queue.setOnline(true);
    expect(started).toEqual(['a', 'a', 'a']);
  });

  it('aborts what runs and starts nothing more once stopped', async () => {
    const { queue, scheduler, started, finish, aborted } = queueOf(['a', 'b', 'c']);
    queue.setOnline(true);
    queue.stop();
    expect(aborted).toEqual(['a', 'b']);
    finish.get('a')!('retry');
    await settle();
    await scheduler.advance(120_000);
    queue.kick();
    expect(started).toEqual(['a', 'b']);
  });

  it('interrupted (Work offline): cuts off what runs, starts nothing until online, then runs it all again', async () => {
    const { queue, scheduler, started, finish, aborted } = queueOf(['a', 'b', 'c']);
    queue.setOnline(true);
    queue.interrupt();
    expect(aborted).toEqual(['a', 'b']);
    // The cut-off attempts end as failed ones do; neither they nor the waiting job start while offline.
    finish.get('a')!('retry');
    finish.get('b')!('retry');
    await settle();
    await scheduler.advance(120_000);
    queue.kick();
    expect(started).toEqual(['a', 'b']);
    queue.setOnline(true);
    expect(started).toEqual(['a', 'b', 'a', 'b']);
    finish.get('a')!('done');
    await settle();
    expect(started).toEqual(['a', 'b', 'a', 'b', 'c']);
  });
});
