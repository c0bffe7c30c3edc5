/**
 * A connection's output budget against a hand-set buffer and clock: frames wait while the peer is
 * behind, a peer far behind is cut at once, one that stays behind is cut after the stuck time.
 */
import { describe, expect, it } from 'vitest';
import { OutputBudget, type OutputLimits, type SlowReader } from '../../../sync/server/output-budget.js';
import { handRuntime } from '../../support/hand-runtime.js';

const LIMITS: OutputLimits = { pauseAboveBytes: 1_000, cutAboveBytes: 5_000, stuckMs: 30_000, recheckMs: 100 };

function setUp() {
  const { runtime, advance } = handRuntime();
  const state = { buffered: 0 };
  const cuts: SlowReader[] = [];
  const budget = new OutputBudget(
    () => state.buffered,
    runtime,
    (why) => cuts.push(why),
    LIMITS,
  );
  return { budget, state, cuts, advance };
}

describe('OutputBudget', () => {
  it('lets the next frame go at once while the peer keeps up, and makes it wait until the peer has read', async () => {
    const { budget, state, advance } = setUp();
    expect(await budget.room()).toBe(true);
    state.buffered = 1_500;
    let room: boolean | null = null;
    void budget.room().then((answer) => (room = answer));
    await advance(1_000);
    expect(room).toBeNull();
    state.buffered = 900;
    await advance(100);
    expect(room).toBe(true);
  });

  it('cuts a peer that a write leaves far behind at once, and ends its waiting frames', async () => {
    const { budget, state, cuts, advance } = setUp();
    state.buffered = 2_000;
    let room: boolean | null = null;
    void budget.room().then((answer) => (room = answer));
    state.buffered = 6_000;
    budget.wrote();
    expect(cuts).toEqual(['over_limit']);
    await advance(100);
    expect(room).toBe(false);
    // Cut once: later writes to the closing socket do not cut it again.
    budget.wrote();
    expect(cuts).toEqual(['over_limit']);
  });

  it('cuts a peer that stays behind for the stuck time, not one that catches up meanwhile', async () => {
    const { budget, state, cuts, advance } = setUp();
    state.buffered = 2_000;
    budget.wrote();
    await advance(20_000);
    // It read a little: below the mark once, so the time starts again when it falls behind again.
    state.buffered = 500;
    budget.wrote();
    state.buffered = 2_000;
    budget.wrote();
    await advance(29_000);
    expect(cuts).toEqual([]);
    await advance(1_000);
    expect(cuts).toEqual(['stuck']);
  });

  it('once ended (the socket closed), neither waits nor cuts', async () => {
    const { budget, state, cuts, advance } = setUp();
    state.buffered = 2_000;
    budget.wrote();
    budget.end();
    expect(await budget.room()).toBe(false);
    await advance(60_000);
    expect(cuts).toEqual([]);
  });
});
