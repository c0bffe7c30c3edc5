/**
 * What a run of the socket fuzzer (server-frames.test.ts) did, per store backend: how many hostile
 * frames it sent, for how long, and what it found. Printed at the end of every run; with
 * FUZZ_REPORT=<file> also appended to that file as one JSON line, which the long mode
 * (long-run.ts, `npm run test:fuzz`) reads back to check and sum up the run.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { z } from 'zod';

export const fuzzReportSchema = z.object({
  backend: z.string(),
  seed: z.number(),
  runsScale: z.number(),
  /** Hostile frames sent, not counting the pings that close each batch. */
  frames: z.number().int().nonnegative(),
  /** Seconds from the end of the set-up to the last property's end. */
  seconds: z.number().nonnegative(),
  /** Errors the server logged as internal failures (an exception in a handler). */
  errorsLogged: z.number().int().nonnegative(),
  /** Whether a new socket could still sign in and get a ping answered after the last frame. */
  stillAnswers: z.boolean(),
  /** Store snapshots compared before and after a batch, and how many of them differed. */
  snapshotsCompared: z.number().int().nonnegative(),
  snapshotsChanged: z.number().int().nonnegative(),
});
export type FuzzReport = z.infer<typeof fuzzReportSchema>;

export function describeFuzzReport(report: FuzzReport): string {
  const crashes = report.errorsLogged + (report.stillAnswers ? 0 : 1);
  return (
    `hostile input [${report.backend}]: ${report.frames.toLocaleString('en-US')} frames in ${report.seconds.toFixed(1)} s ` +
    `(FUZZ_RUNS_SCALE=${report.runsScale}, FUZZ_SEED=${report.seed}); ${crashes} crashes ` +
    `(${report.errorsLogged} internal errors logged, server ${report.stillAnswers ? 'still answers' : 'stopped answering'}); ` +
    `${report.snapshotsChanged} stored-state changes in ${report.snapshotsCompared.toLocaleString('en-US')} snapshots compared`
  );
}

/** Prints the report, and appends it to FUZZ_REPORT when that is set. */
export function publishFuzzReport(report: FuzzReport): void {
  console.info(describeFuzzReport(report));
  const file = process.env.FUZZ_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify(report)}\n`);
}

export function readFuzzReports(file: string): FuzzReport[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => fuzzReportSchema.parse(JSON.parse(line)));
}
