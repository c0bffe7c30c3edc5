/**
 * `npm run test:sim -- [--runs N] [--seed S] [--path P --replay-path R] [--steps K] [--verbose]`
 *
 * Runs the deterministic simulation of the real sync (test/sim/) for N seeds. A failure prints
 * the fast-check seed, the path and the shrunk list of steps; pass them back to replay exactly
 * that case (`--seed S --path P --replay-path R`). SIM_TRACE=1 prints every frame on the wire.
 */
import { parseArgs } from 'node:util';
import { runSimulation } from '../test/sim/simulation.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string' },
    path: { type: 'string' },
    'replay-path': { type: 'string' },
    steps: { type: 'string', default: '40' },
    verbose: { type: 'boolean', default: false },
  },
});

const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(values.seed);
const started = Date.now();
console.log(`Simulating ${runs} runs of up to ${values.steps} steps, seed ${seed}${values.path ? `, path ${values.path}` : ''}`);
try {
  await runSimulation({
    runs,
    seed,
    maxSteps: Number(values.steps),
    verbose: values.verbose,
    ...(values.path ? { path: values.path } : {}),
    ...(values['replay-path'] ? { replayPath: values['replay-path'] } : {}),
  });
  console.log(`All ${runs} runs kept every invariant (${((Date.now() - started) / 1000).toFixed(1)} s).`);
} catch (error) {
  // The message ends with the command that replays the shrunk case.
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
