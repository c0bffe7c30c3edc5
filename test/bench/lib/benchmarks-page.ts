/**
 * The benchmark table as cells (for the console) and as docs/benchmarks.md, which a whole run at full
 * size writes: the latest figures beside their same-run baselines and targets, and the machine.
 */
import type { BenchResult, Row } from './report.js';

export interface BenchReport {
  timestamp: string;
  scale: number;
  machine: {
    cpuModel: string;
    cores: number;
    ramGiB: number;
    platform: string;
    node: string;
    sqlite: string;
    commit: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  results: BenchResult[];
}

export const TABLE_HEADER = ['benchmark', 'figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'met?'];

export function cells(bench: string, r: Row, runScale: number): string[] {
  const value = r.value === null ? 'n/a' : formatNumber(r.value);
  const baseline = r.baseline ? `${formatNumber(r.baseline.value)} ${r.baseline.unit} (${r.baseline.name})` : '';
  const ratio = r.ratio === undefined ? '' : `${formatNumber(r.ratio)}×`;
  const met = r.met === undefined || r.met === null ? (r.target ? 'n/a' : '') : r.met ? 'yes' : 'NO';
  return [
    bench,
    r.name,
    value,
    r.unit,
    baseline,
    ratio,
    r.target?.text ?? '',
    met + (r.target && runScale < 1 ? ' (scaled)' : ''),
  ];
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** docs/benchmarks.md for a run: what ran where, then one row per figure. */
export function benchmarksPage(report: BenchReport): string {
  const { machine } = report;
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const rows = report.results.flatMap((result) =>
    result.error
      ? [[result.bench, 'FAILED', '', '', '', '', '', '']]
      : result.rows.map((row) => cells(result.bench, row, report.scale)),
  );
  return [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (a whole run at full size) on ${report.timestamp.slice(0, 10)}, at commit ${machine.commit}. Each figure`,
    'stands beside a baseline measured in the same run on the same machine; what each benchmark times is in',
    '[test/bench/README.md](../test/bench/README.md), and how the figures came to be in [benchmarks-history.md](benchmarks-history.md).',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${escape(machine.cpuModel)}, ${machine.cores} cores |`,
    `| memory | ${machine.ramGiB} GiB |`,
    `| system | ${escape(machine.platform)} |`,
    `| Node, SQLite | ${machine.node}, ${machine.sqlite} |`,
    `| load average at start, at end | ${machine.loadAverageAtStart.join(' ')}; ${machine.loadAverageAtEnd.join(' ')} |`,
    '',
    `| ${TABLE_HEADER.join(' | ')} |`,
    `| ${TABLE_HEADER.map(() => '---').join(' | ')} |`,
    ...rows.map((line) => `| ${line.map(escape).join(' | ')} |`),
    '',
  ].join('\n');
}
