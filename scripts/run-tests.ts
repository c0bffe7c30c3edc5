/**
 * `npm test`: every check the project has, in one command, as CI runs it. Each step runs even
 * when an earlier one failed, so one run shows everything that is wrong; the last line counts
 * the tests ("N passed, M failed") and the exit code is non-zero if anything failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, '.tmp', 'test-results');
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS, { recursive: true });
const VITEST_JSON = join(RESULTS, 'vitest.json');
const PLAYWRIGHT_JSON = join(RESULTS, 'playwright.json');

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
  {
    name: 'end-to-end tests (playwright, chromium)',
    command: 'npx',
    args: ['playwright', 'test', '--reporter=list,json'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: PLAYWRIGHT_JSON },
  },
];

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
const playwright = readJson(PLAYWRIGHT_JSON);
const playwrightStats = (playwright?.stats ?? {}) as Record<string, number>;
const passed = Number(vitest?.numPassedTests ?? 0) + (playwrightStats.expected ?? 0);
const failed = Number(vitest?.numFailedTests ?? 0) + (playwrightStats.unexpected ?? 0) + (playwrightStats.flaky ?? 0);
const skipped = Number(vitest?.numPendingTests ?? 0) + Number(vitest?.numTodoTests ?? 0) + (playwrightStats.skipped ?? 0);

console.log('');
if (failedSteps.length > 0) console.log(`Failed steps: ${failedSteps.join(', ')}`);
if (!vitest) console.log('No vitest results were written.');
if (!playwright) console.log('No playwright results were written.');
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedSteps.length > 0 || failed > 0 || !vitest || !playwright ? 1 : 0);
