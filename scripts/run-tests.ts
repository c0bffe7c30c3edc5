/**
 * `npm test`: every check the project has, in one command, as CI runs it. Each step runs even
 * when an earlier one failed, so one run shows everything that is wrong; the last line counts
 * the tests ("N passed, M failed") and the exit code is non-zero if anything failed.
 * The end-to-end suite runs once per target (test/e2e/support/target.ts): in Chromium, and in
 * Electron where a binary exists; a target that cannot run here is named in the summary, with why.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeAvailability, electronAvailability, type E2eTarget } from '../test/e2e/support/target.js';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, '.tmp', 'test-results');
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS, { recursive: true });
const VITEST_JSON = join(RESULTS, 'vitest.json');
const playwrightJson = (target: E2eTarget) => join(RESULTS, `playwright-${target}.json`);

interface Step {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

const steps: Step[] = [
  { name: 'typecheck', command: 'npm', args: ['run', '--silent', 'typecheck'] },
  { name: 'lint', command: 'npm', args: ['run', '--silent', 'lint'] },
  { name: 'code lint (eslint)', command: 'npm', args: ['run', '--silent', 'lint:code'] },
  { name: 'formatting (prettier)', command: 'npm', args: ['run', '--silent', 'format:check'] },
  {
    name: 'unit and integration tests (vitest)',
    command: 'npx',
    args: ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${VITEST_JSON}`],
  },
  { name: 'build', command: 'npm', args: ['run', '--silent', 'build'] },
];

function e2eStep(target: E2eTarget): Step {
  return {
    name: `end-to-end tests (playwright, ${target})`,
    command: 'npx',
    args: ['playwright', 'test', '--reporter=list,json'],
    env: { E2E_TARGET: target, PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson(target) },
  };
}

const e2eTargets: E2eTarget[] = ['chromium'];
const electron = electronAvailability(ROOT);
if (electron.available) e2eTargets.push('electron');
steps.push(...e2eTargets.map(e2eStep));

const failedSteps: string[] = [];
for (const step of steps) {
  console.log(`\n=== ${step.name}`);
  const result = spawnSync(step.command, step.args, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...step.env },
  });
  if (result.status !== 0) failedSteps.push(step.name);
}

function readJson(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

const vitest = readJson(VITEST_JSON);
const e2e = e2eTargets.map((target) => {
  const results = readJson(playwrightJson(target));
  const stats = (results?.stats ?? {}) as Record<string, number>;
  return {
    target,
    written: results !== null,
    passed: stats.expected ?? 0,
    failed: (stats.unexpected ?? 0) + (stats.flaky ?? 0),
    skipped: stats.skipped ?? 0,
  };
});
const total = (key: 'passed' | 'failed' | 'skipped') => e2e.reduce((sum, run) => sum + run[key], 0);
const passed = Number(vitest?.numPassedTests ?? 0) + total('passed');
const failed = Number(vitest?.numFailedTests ?? 0) + total('failed');
const skipped = Number(vitest?.numPendingTests ?? 0) + Number(vitest?.numTodoTests ?? 0) + total('skipped');
const counts = (p: number, f: number, s: number) => `${p} passed, ${f} failed${s ? `, ${s} skipped` : ''}`;

console.log('');
if (failedSteps.length > 0) console.log(`Failed steps: ${failedSteps.join(', ')}`);
if (!vitest) console.log('No vitest results were written.');
for (const run of e2e) {
  console.log(
    run.written
      ? `e2e target ${run.target}: ${counts(run.passed, run.failed, run.skipped)}`
      : `e2e target ${run.target}: no playwright results were written`,
  );
}
if (!electron.available) console.log(describeAvailability('electron', electron));
console.log(`tests: ${counts(passed, failed, skipped)}`);
process.exit(failedSteps.length > 0 || failed > 0 || !vitest || e2e.some((run) => !run.written) ? 1 : 0);
