/**
 * Child processes, peak memory and CPU time. Peak RSS comes from /proc/<pid>/status (VmHWM), so it
 * is Linux-only; elsewhere the figures are reported as null and everything else still runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CORE_SEMI_SPACE_MB } from '../../../main/node/core-worker-client.js';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const RESULTS_DIR = join(ROOT, 'test', 'bench', 'results');

// -- memory and CPU ---------------------------------------------------------------------------

/** Peak and current resident set size in MiB, or null off Linux / for a gone process. */
export function memoryOf(pid: number | 'self'): { peakMiB: number; rssMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const peak = kb('VmHWM');
    const rss = kb('VmRSS');
    if (!Number.isFinite(peak)) return null;
    return { peakMiB: peak / 1024, rssMiB: rss / 1024 };
  } catch {
    return null;
  }
}

/**
 * Resets this process's peak RSS to its current RSS (Linux ≥ 4.0: writing 5 to clear_refs), so a
 * later VmHWM reading covers only what happened since. Returns false when unsupported.
 */
export function resetPeakRss(): boolean {
  try {
    const fd = openSync('/proc/self/clear_refs', 'w');
    writeSync(fd, '5');
    closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time of another process in ms (10 ms resolution), or null off Linux. */
export function cpuMsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** This process's user + system CPU time in ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

// -- temp dirs and cleanup --------------------------------------------------------------------

const tempDirs = new Set<string>();
const children = new Set<ChildProcess>();
const groups = new WeakSet<ChildProcess>();

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `messenger-bench-${label}-`));
  tempDirs.add(dir);
  return dir;
}

/** Kills children still running and removes temp dirs. Safe to call repeatedly. */
export function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        // A child started as its own process group is killed with everything it started.
        process.kill(groups.has(child) ? -child.pid : child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

let cleanupInstalled = false;
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      cleanupNow();
      process.exit(130);
    });
  }
}
installCleanup();

// -- spawning ---------------------------------------------------------------------------------

/** For a process that runs a client core: V8's nursery as large as the app's core thread has it. */
export const CLIENT_CORE_NODE_ARG = `--max-semi-space-size=${CORE_SEMI_SPACE_MB}`;

export interface Spawned {
  child: ChildProcess;
  pid: number;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs a TypeScript file with `node --import tsx` (not the tsx CLI, which would put a wrapper
 * process in between: the pid here is the process doing the work, so its /proc figures are its own).
 */
export function spawnTs(
  file: string,
  args: string[],
  options: { nodeArgs?: string[]; ipc?: boolean; inheritStderr?: boolean; env?: NodeJS.ProcessEnv; group?: boolean } = {},
): Spawned {
  return spawnNode(file, [...(options.nodeArgs ?? []), '--import', 'tsx', file, ...args], options);
}

/** Runs node with these arguments (a built bundle, say), tracked and cleaned up like spawnTs's children. */
export function spawnNode(
  what: string,
  nodeArgs: string[],
  options: { ipc?: boolean; inheritStderr?: boolean; env?: NodeJS.ProcessEnv; group?: boolean } = {},
): Spawned {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    // Its own process group: killGroup() then ends it and every process it started.
    detached: options.group ?? false,
    stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
    env: options.env ?? process.env,
  });
  if (child.pid === undefined) throw new Error(`Could not start ${what}`);
  children.add(child);
  if (options.group) groups.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolveExit) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolveExit(code);
    }),
  );
  return { child, pid: child.pid, output: () => output, exited };
}

/** Kills a child started with `group: true` together with everything it started. */
export function killGroup(spawned: Spawned, signal: NodeJS.Signals): void {
  try {
    process.kill(-spawned.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Runs a TypeScript file to completion; throws with its output when it fails. */
export async function runTs(file: string, args: string[], timeoutMs = 300_000): Promise<string> {
  const run = spawnTs(file, args);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const code = await run.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${file} exited with ${code}:\n${run.output().slice(-4000)}`);
  return run.output();
}

/** A TCP port that was free a moment ago (nothing listens on it after this returns). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

// -- the sync server as its own process -------------------------------------------------------

export interface ServerProcess {
  pid: number;
  port: number;
  /** ws://127.0.0.1:port */
  url: string;
  memory(): { peakMiB: number; rssMiB: number } | null;
  cpuMs(): number | null;
  output(): string;
  /** SIGTERM (the CLI closes cleanly and writes a --cpu-prof profile), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Starts `sync/server/cli.ts` on `dataDir` and waits for its "listening" line. */
export async function startServerProcess(
  dataDir: string,
  options: { port?: number; nodeArgs?: string[]; args?: string[] } = {},
): Promise<ServerProcess> {
  // The benches measure how fast the server works, so no connection runs out of its frame budget
  // (100 frames a second by default: a 10,000-message drain would measure the limit instead), and
  // thousands of clients may connect from this one address (some of them one account's sockets).
  const unlimited = [
    '--frames-per-second',
    '1000000000',
    '--frame-burst',
    '1000000000',
    '--max-connections-per-account',
    '1000000000',
    '--max-connections-per-address',
    '1000000000',
  ];
  const cliArgs = ['--port', String(options.port ?? 0), '--data', dataDir, ...unlimited, ...(options.args ?? [])];
  const run = spawnTs(join('sync', 'server', 'cli.ts'), cliArgs, {
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`The server did not start within 30 s:\n${run.output()}`)), 30_000);
    const check = () => {
      const match = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(run.output());
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    };
    run.child.stdout?.on('data', check);
    void run.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The server exited (${code}) before listening:\n${run.output()}`));
    });
    check();
  });
  let stopped: Promise<void> | undefined;
  return {
    pid: run.pid,
    port,
    url: `ws://127.0.0.1:${port}`,
    memory: () => memoryOf(run.pid),
    cpuMs: () => cpuMsOf(run.pid),
    output: run.output,
    stop: () =>
      (stopped ??= (async () => {
        if (run.child.exitCode !== null || run.child.signalCode !== null) return;
        run.child.kill('SIGTERM');
        const timer = setTimeout(() => run.child.kill('SIGKILL'), 10_000);
        await run.exited;
        clearTimeout(timer);
      })()),
  };
}

export function exists(path: string): boolean {
  return existsSync(path);
}
