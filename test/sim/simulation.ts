import fc from 'fast-check';
import { settle } from './quiet.js';
import { stepArbitrary } from './step-arbitrary.js';
import type { SimModel } from './step.js';
import { checkInvariants } from './invariants.js';
import { checkPresenceAfterLeaving } from './presence-invariants.js';
import { SimWorld } from './world.js';

/**
 * One simulated run per fast-check run: a world seed (everything random inside the world is
 * drawn from it) and a list of steps; then heal, settle, check. fast-check shrinks a failing
 * list of steps and reports the seed and path that replay it exactly.
 */
export interface SimulationOptions {
  runs: number;
  /** fast-check seed: generates the world seeds and the steps. */
  seed?: number;
  /** fast-check replay path of a failure (printed with it), to jump straight to the shrunk case. */
  path?: string;
  /** The commands' own replay path (printed after the steps as replayPath="…"); needed with `path`. */
  replayPath?: string;
  maxSteps?: number;
  /** Print every run's steps as it starts (noisy; for replaying one case). */
  verbose?: boolean;
}

export function simulationProperty(maxSteps: number, verbose = false, replayPath?: string) {
  return fc.asyncProperty(
    // Shrinking a seed changes every random choice at once, which never makes a trace simpler.
    fc.noShrink(fc.integer({ min: 0, max: 0x7fffffff })),
    // 'large': lists of every length up to maxSteps, not just short ones.
    fc.commands([stepArbitrary], { maxCommands: maxSteps, size: 'large', ...(replayPath ? { replayPath } : {}) }),
    async (worldSeed, steps) => {
      if (verbose) console.log(`world seed ${worldSeed}: ${[...steps].map(String).join(', ')}`);
      await runOnce(worldSeed, steps);
    },
  );
}

/** One world and one list of steps (the property's, or a scripted case's), checked at the end. */
export async function runOnce(worldSeed: number, steps: Iterable<fc.AsyncCommand<SimModel, SimWorld>>): Promise<void> {
  const world = await SimWorld.create(worldSeed);
  // Both end up among the violations that the next quiet point reports.
  const onRejection = (reason: unknown) =>
    world.history.violations.push(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  // The client core warns on the console when it recovers from something; runs stay quiet about
  // it, except for a malformed frame from the server, which is always a bug.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (text.includes('malformed')) world.history.violations.push(`client warned: ${text}`);
  };
  process.on('unhandledRejection', onRejection);
  try {
    // Steps start from a live world: every device connected and knowing its conversations.
    await settle(world);
    await fc.asyncModelRun(() => ({ model: {}, real: world }), steps);
    await settle(world);
    await checkInvariants(world);
    await checkPresenceAfterLeaving(world);
  } finally {
    process.off('unhandledRejection', onRejection);
    console.warn = warn;
    await world.dispose();
  }
}

/** Runs the simulation; a failure's message ends with the command that replays exactly that case. */
export async function runSimulation(options: SimulationOptions): Promise<void> {
  const maxSteps = options.maxSteps ?? 40;
  try {
    await fc.assert(simulationProperty(maxSteps, options.verbose, options.replayPath), {
      numRuns: options.runs,
      // The invariant that broke, with its details, belongs next to the shrunk steps.
      includeErrorInReport: true,
      endOnFailure: process.env.SIM_NO_SHRINK === '1',
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.path !== undefined ? { path: options.path } : {}),
    });
  } catch (error) {
    if (error instanceof Error) error.message += `\n${replayCommand(error.message, options.runs, maxSteps)}`;
    throw error;
  }
}

/** fast-check prints `{ seed: S, path: "P" … }` and the steps' replayPath="R"; all three replay the case. */
function replayCommand(report: string, runs: number, maxSteps: number): string {
  const seed = /seed: (-?\d+)/.exec(report)?.[1];
  const path = /path: "([^"]+)"/.exec(report)?.[1];
  const replayPath = /replayPath="([^"]+)"/.exec(report)?.[1];
  if (seed === undefined || path === undefined) return '';
  const steps = `--runs ${runs} --steps ${maxSteps} --seed ${seed} --path "${path}"`;
  return `Replay: npm run test:sim -- ${steps}${replayPath ? ` --replay-path "${replayPath}"` : ''}  (SIM_TRACE=1 prints every frame)`;
}
