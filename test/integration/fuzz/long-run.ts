/**
 * `npm run test:fuzz`: the long mode of the socket fuzzer (server-frames.test.ts). Runs it with
 * every property's runs multiplied by FUZZ_RUNS_SCALE (LONG_RUN_SCALE unless set), then checks
 * each store backend's report (fuzz-report.ts): at least LONG_RUN_FRAMES hostile frames sent, no
 * crash (no internal error logged, a new socket still answered at the end) and no stored-state
 * change. The exit code is non-zero if any of that fails or the test itself failed. The time is
 * printed against its target (under 10 minutes) but does not fail the run: it depends on the machine.
 *
 *   TEST_STORES=sqlite npm run test:fuzz
 *   FUZZ_SEED=123 FUZZ_RUNS_SCALE=20 npm run test:fuzz
 *
 * `npm test` runs the same file at scale 1 (about 20,000 frames per backend).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeFuzzReport, readFuzzReports } from './fuzz-report.js';

const LONG_RUN_SCALE = 7;
const LONG_RUN_FRAMES = 100_000;
const TARGET_SECONDS = 10 * 60;

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'fuzz-long-'));
const reportFile = join(work, 'report.jsonl');
const scale = process.env.FUZZ_RUNS_SCALE ?? String(LONG_RUN_SCALE);

console.log(`Long fuzz run: FUZZ_RUNS_SCALE=${scale}, stores ${process.env.TEST_STORES ?? 'all'}`);
const started = performance.now();
const vitest = spawnSync('npx', ['vitest', 'run', 'test/integration/fuzz/server-frames.test.ts'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS_SCALE: scale, FUZZ_REPORT: reportFile },
});
const wallSeconds = (performance.now() - started) / 1000;

const reports = existsSync(reportFile) ? readFuzzReports(reportFile) : [];
rmSync(work, { recursive: true, force: true });

const problems: string[] = [];
if (vitest.status !== 0) problems.push(`vitest exited with ${vitest.status ?? vitest.signal}`);
if (reports.length === 0) problems.push('no backend reported a run');
console.log(`\nLong fuzz run done in ${wallSeconds.toFixed(0)} s (vitest included)`);
for (const report of reports) {
  console.log(describeFuzzReport(report));
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `  target ≥ ${LONG_RUN_FRAMES.toLocaleString('en-US')} frames: ${met(report.frames >= LONG_RUN_FRAMES)}; ` +
      `under ${TARGET_SECONDS / 60} minutes: ${met(report.seconds < TARGET_SECONDS)}`,
  );
  if (report.frames < LONG_RUN_FRAMES) {
    problems.push(`${report.backend}: only ${report.frames} frames; raise FUZZ_RUNS_SCALE`);
  }
  if (report.errorsLogged > 0 || !report.stillAnswers) problems.push(`${report.backend}: the server crashed`);
  if (report.snapshotsChanged > 0) problems.push(`${report.backend}: stored state changed`);
}
if (problems.length > 0) {
  console.error(`Long fuzz run failed: ${problems.join('; ')}`);
  process.exit(1);
}
