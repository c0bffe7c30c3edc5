import { describe, expect, it } from 'vitest';
import { CatchUpPacer } from '../../../sync/server/catch-up-pacer.js';
import { handRuntime, settle } from '../../support/hand-runtime.js';

describe('CatchUpPacer', () => {
  it('lets a lone page through at once, every time', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime);
    for (let i = 0; i < 3; i++) {
      const done = await pacer.turn();
      await advance(12);
      done();
    }
    // Nothing waited, so nothing was paced: the next turn is immediate.
    let started = false;
    void pacer.turn().then(() => (started = true));
    await settle();
    expect(started).toBe(true);
  });

  it('builds one page at a time in the order asked, pausing as long as the last build took while others wait', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime, 0.5);
    const order: string[] = [];
    const first = await pacer.turn();
    const waiting = ['b', 'c'].map((name) =>
      pacer.turn().then((done) => {
        order.push(name);
        return done;
      }),
    );
    await settle();
    expect(pacer.queued).toBe(2);
    await advance(10); // the first page takes 10 ms to build
    first();
    await advance(9);
    expect(order).toEqual([]); // still pausing: half the time goes to everything else
    await advance(1);
    expect(order).toEqual(['b']);
    const second = await waiting[0]!;
    await advance(4);
    second();
    await advance(3);
    expect(order).toEqual(['b']);
    await advance(1);
    expect(order).toEqual(['b', 'c']);
    (await waiting[1]!)();
    expect(pacer.queued).toBe(0);
  });

  it('ends a turn only once, however often its end is called', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime);
    const first = await pacer.turn();
    let seconds = 0;
    void pacer.turn().then(() => (seconds += 1));
    void pacer.turn().then(() => (seconds += 1));
    await settle();
    first();
    first();
    await advance(1);
    expect(seconds).toBe(1);
  });
});
