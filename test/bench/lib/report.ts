/**
 * What every benchmark child hands back to run.ts: rows for the one table, plus free-form details
 * (breakdowns, profiles) and findings in plain words. Written as JSON to the file named by --out.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface Target {
  /** How the figure is judged, e.g. "≥ 50,000 msg/s". */
  text: string;
  op: '>=' | '<=';
  value: number;
}

export interface Row {
  /** Stable id, e.g. "catch-up.rate". */
  key: string;
  name: string;
  value: number | null;
  unit: string;
  baseline?: { name: string; value: number; unit: string };
  /** Figure cost over baseline cost (a time ratio: 3 means three times as long as the floor). */
  ratio?: number;
  target?: Target;
  /** null when there is no target or the figure is missing. */
  met?: boolean | null;
  note?: string;
}

export interface BenchResult {
  bench: string;
  scale: number;
  /** The sizes actually used at this scale. */
  sizes: Record<string, number>;
  rows: Row[];
  details: Record<string, unknown>;
  /** What limits the figures, as far as the benchmark can tell. */
  findings: string[];
  wallMs: number;
  error?: string;
}

export interface BenchArgs {
  scale: number;
  out: string | null;
  profile: boolean;
}

/** The arguments every benchmark child understands: --scale, --out, --profile. */
export function benchArgs(): BenchArgs {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '1' },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
    strict: false,
    allowPositionals: true,
  });
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 1)) throw new Error(`--scale must be in (0, 1], got ${String(values.scale)}`);
  return { scale, out: typeof values.out === 'string' ? values.out : null, profile: values.profile === true };
}

/** A size at this scale, never below `min`. */
export function scaled(full: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(full * scale));
}

export function judge(value: number | null, target: Target | undefined): boolean | null {
  if (!target || value === null || !Number.isFinite(value)) return null;
  return target.op === '>=' ? value >= target.value : value <= target.value;
}

export function row(fields: Omit<Row, 'met'>): Row {
  return { ...fields, met: judge(fields.value, fields.target) };
}

/**
 * Runs a benchmark's main function and writes its result (or its error) where run.ts expects it.
 * Exits explicitly: sockets or timers left by the code under test must not keep the child alive.
 */
export function runBench(
  bench: string,
  main: (args: BenchArgs) => Promise<Omit<BenchResult, 'bench' | 'wallMs' | 'scale'>>,
): void {
  const args = benchArgs();
  const started = performance.now();
  const write = (result: BenchResult) => {
    const json = JSON.stringify(result, null, 2);
    if (args.out) writeFileSync(args.out, json);
    else console.log(json);
  };
  main(args).then(
    (partial) => {
      write({ bench, scale: args.scale, ...partial, wallMs: Math.round(performance.now() - started) });
      process.exit(0);
    },
    (error: unknown) => {
      console.error(`[${bench}] failed:`, error);
      write({
        bench,
        scale: args.scale,
        sizes: {},
        rows: [],
        details: {},
        findings: [],
        wallMs: Math.round(performance.now() - started),
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.exit(1);
    },
  );
}

export function log(bench: string, message: string): void {
  console.error(`  [${bench}] ${message}`);
}
