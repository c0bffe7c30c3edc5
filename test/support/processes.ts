/**
 * Child processes for crash tests: TypeScript scripts run as ONE node process each, so SIGKILL
 * really kills the program under test. (`node_modules/.bin/tsx script.ts` starts a second node
 * process for the script and relays signals to it, but SIGKILL cannot be relayed: killing the
 * wrapper would leave the script running as an orphan.) Here we run
 * `node --import tsx script.ts`, which is what tsx does inside its wrapper.
 *
 *   const processes = createProcessHarness();
 *   afterEach(() => processes.cleanup());            // SIGKILLs whatever is still running
 *   const child = processes.spawnScript('sync/server/cli.ts', ['--port', '0', '--data', dir]);
 *   const line = await child.waitForLine(/listening on (\S+)/);
 *   await child.kill();                              // SIGKILL, resolves once it is gone
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ScriptProcess {
  readonly pid: number;
  readonly name: string;
  /** Every complete stdout line so far, in order. */
  readonly lines: string[];
  stderr(): string;
  readonly exited: Promise<ExitInfo>;
  readonly running: boolean;
  /**
   * The first stdout line at index `from` or later that matches; rejects if the process exits or
   * `timeoutMs` passes first (with the tail of its output, to say why).
   */
  waitForLine(match: RegExp | ((line: string) => boolean), options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Sends `signal` (SIGKILL by default) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

export interface ProcessHarness {
  /** Runs `script` (a path relative to the repository root) under node with the tsx loader. */
  spawnScript(script: string, args: string[], options?: { name?: string; env?: Record<string, string> }): ScriptProcess;
  /** SIGKILLs every process still running and waits for them to exit. */
  cleanup(): Promise<void>;
}

export function createProcessHarness(): ProcessHarness {
  const children = new Set<ScriptProcess>();
  return {
    spawnScript(script, args, options = {}) {
      const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
      delete env.NODE_OPTIONS;
      const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
        cwd: REPO_ROOT,
        // stdin stays open: the scripts exit by themselves when it closes (the test process died).
        stdio: ['pipe', 'pipe', 'pipe'],
        env,
      });
      const wrapped = wrap(child, options.name ?? script);
      children.add(wrapped);
      void wrapped.exited.then(() => children.delete(wrapped));
      return wrapped;
    },
    async cleanup() {
      await Promise.all([...children].map((child) => child.kill('SIGKILL')));
      children.clear();
    },
  };
}

function wrap(child: ChildProcess, name: string): ScriptProcess {
  if (child.pid === undefined) throw new Error(`Could not start ${name}`);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let stderr = '';
  let exit: ExitInfo | null = null;
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    // Keep the tail only: enough to explain a failure.
    stderr = (stderr + chunk).slice(-20_000);
  });
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<ExitInfo>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      resolveExit(exit);
      wake();
    });
  });

  const describe = () =>
    `${name} (pid ${child.pid}) stdout tail:\n${lines.slice(-15).join('\n')}\nstderr tail:\n${stderr.slice(-3000)}`;

  return {
    pid: child.pid,
    name,
    lines,
    stderr: () => stderr,
    exited,
    get running() {
      return exit === null;
    },
    waitForLine(match, { from = 0, timeoutMs = 20_000 } = {}) {
      const test = typeof match === 'function' ? match : (line: string) => match.test(line);
      return new Promise<string>((resolveLine, reject) => {
        let scanned = from;
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No line matching ${String(match)} within ${timeoutMs} ms from ${describe()}`));
        }, timeoutMs);
        const check = () => {
          for (; scanned < lines.length; scanned += 1) {
            if (test(lines[scanned]!)) {
              clearTimeout(timer);
              waiters.delete(check);
              resolveLine(lines[scanned]!);
              return;
            }
          }
          if (exit) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(
              new Error(
                `${name} exited (${exit.code ?? exit.signal}) before printing a line matching ${String(match)}; ${describe()}`,
              ),
            );
          }
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (exit) return exit;
      child.kill(signal);
      return exited;
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that must come back on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
