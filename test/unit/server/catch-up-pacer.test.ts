import { describe, expect, it } from 'vitest';
import { CatchUpPacer } from '../../../sync/server/catch-up-pacer.js';
import { handRuntime, settle } from '../../support/hand-runtime.js';

const alice = { name: 'alice' };
const bob = { name: 'bob' };
const carol = { name: 'carol' };

describe('CatchUpPacer', () => {
  it('lets a page asked for after a quiet moment through at once, every time', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime);
    for (let i = 0; i < 3; i++) {
      const done = await pacer.turn(alice);
      await advance(12);
      done();
      await advance(0);
    }
    let started = false;
    void pacer.turn(alice).then(() => (started = true));
    await settle();
    expect(started).toBe(true);
  });

  it('never builds two pages in one go: the next one asked for meanwhile starts from a timer', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime, 0.5);
    const first = await pacer.turn(alice);
    await advance(10);
    first();
    // Asked right after (as a pipelined request resolves): it waits for the event loop to come round,
    // and pages of the same connection alone get no pause beyond that.
    let started = false;
    void pacer.turn(alice).then(() => (started = true));
    await settle();
    expect(started).toBe(false);
    await advance(0);
    expect(started).toBe(true);
  });

  it('one connection catching up alone only yields between its pages', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime, 0.5);
    const order: number[] = [];
    const first = await pacer.turn(alice);
    const rest = [1, 2].map((page) =>
      pacer.turn(alice).then((done) => {
        order.push(page);
        return done;
      }),
    );
    await advance(10);
    first();
    await advance(0);
    expect(order).toEqual([1]);
    await advance(10);
    (await rest[0]!)();
    await advance(0);
    expect(order).toEqual([1, 2]);
    (await rest[1]!)();
  });

  it('pauses as long as the last build took while pages of other connections wait, in the order asked', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime, 0.5);
    const order: string[] = [];
    const first = await pacer.turn(alice);
    const waiting = [
      ['bob', bob],
      ['carol', carol],
    ].map(([name, requester]) =>
      pacer.turn(requester).then((done) => {
        order.push(name as string);
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
    expect(order).toEqual(['bob']);
    const second = await waiting[0]!;
    await advance(4);
    second();
    await advance(3);
    expect(order).toEqual(['bob']);
    await advance(1);
    expect(order).toEqual(['bob', 'carol']);
    (await waiting[1]!)();
    expect(pacer.queued).toBe(0);
  });

  it('gives everything else the rest of the time at a smaller share', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime, 0.25);
    const first = await pacer.turn(alice);
    let started = false;
    void pacer.turn(bob).then(() => (started = true));
    await advance(10);
    first();
    await advance(29);
    expect(started).toBe(false); // a quarter for pages: 30 ms of pause after 10 ms of building
    await advance(1);
    expect(started).toBe(true);
  });

  it('calls a turn crowded while pages of other connections wait, not for pages of its own', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime);
    const first = await pacer.turn(alice);
    expect(pacer.crowdedFor(alice)).toBe(false);
    const alicesNext = pacer.turn(alice);
    await settle();
    expect(pacer.crowdedFor(alice)).toBe(false); // one client catching up several conversations
    const bobs = pacer.turn(bob);
    await settle();
    expect(pacer.crowdedFor(alice)).toBe(true);
    await advance(10);
    first();
    await advance(20); // a third of the time for pages: twice the build's 10 ms of pause
    const second = await alicesNext;
    expect(pacer.crowdedFor(alice)).toBe(true); // Bob's page still waits behind this one
    second();
    await advance(0);
    (await bobs)();
    expect(pacer.crowdedFor(bob)).toBe(false);
  });

  it('ends a turn only once, however often its end is called', async () => {
    const { runtime, advance } = handRuntime();
    const pacer = new CatchUpPacer(runtime);
    const first = await pacer.turn(alice);
    let seconds = 0;
    void pacer.turn(bob).then(() => (seconds += 1));
    void pacer.turn(carol).then(() => (seconds += 1));
    await settle();
    first();
    first();
    await advance(100);
    expect(seconds).toBe(1);
  });
});
