import { describe, it } from 'vitest';
import { runSimulation } from './simulation.js';

/**
 * A bounded slice of the deterministic simulation, with a fixed seed so every run of the suite
 * checks the same cases. `npm run test:sim -- --runs N [--seed S]` explores further; a failure
 * there or here prints the seed, path and shrunk steps to replay it.
 */
const RUNS = Number(process.env.SIM_RUNS ?? 40);
const SEED = Number(process.env.SIM_SEED ?? 20_240_611);

describe('deterministic simulation of the real sync', () => {
  it(
    `keeps every promise over ${RUNS} seeded runs (seed ${SEED})`,
    async () => {
      await runSimulation({ runs: RUNS, seed: SEED, maxSteps: 80 });
    },
    // A failure shrinks its steps, which replays the world many times.
    300_000,
  );
});
