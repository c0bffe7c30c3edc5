/**
 * Starts the app's real processes for end-to-end tests: the sync server (as `npm run server`
 * would) and browser hosts (as `npm run web` would, from the built dist/), each on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
export const BROWSER_HOST_ENTRY = join(ROOT, 'dist/main/browser-cli.cjs');

export interface RunningProcess {
  /** The address it printed; a browser host's carries its one-time key (open it once, with openApp). */
  url: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Spawns a command and resolves once a line of its output matches `ready`. */
function startProcess(command: string, args: string[], ready: RegExp, what: string): Promise<RunningProcess> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not become ready in time. Output:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        const url = match[0];
        resolvePromise({
          url,
          port: Number(new URL(url).port),
          output: () => output,
          stop: () => stopProcess(child),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready. Output:\n${output}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

export function startServer(dataDir: string, port = 0, extraArgs: readonly string[] = []): Promise<RunningProcess> {
  return startProcess(
    TSX,
    ['sync/server/cli.ts', '--port', String(port), '--data', dataDir, ...extraArgs],
    /ws:\/\/127\.0\.0\.1:\d+/,
    'The sync server',
  );
}

export interface BrowserHostOptions {
  /** --allow-loopback-previews: link previews may fetch http://127.0.0.1 pages (a local test site). */
  allowLoopbackPreviews?: boolean;
  /** More of the flags both hosts take (e.g. --offline, --log-level <level>). */
  extraArgs?: readonly string[];
}

/** The flags these options stand for, as both hosts take them. */
export function hostArgs(options: BrowserHostOptions): string[] {
  return [...(options.allowLoopbackPreviews ? ['--allow-loopback-previews'] : []), ...(options.extraArgs ?? [])];
}

export function startBrowserHost(
  profileDir: string,
  serverUrl: string,
  port = 0,
  options: BrowserHostOptions = {},
): Promise<RunningProcess> {
  return startProcess(
    process.execPath,
    [BROWSER_HOST_ENTRY, '--port', String(port), '--profile', profileDir, '--server', serverUrl, ...hostArgs(options)],
    // The full printed address: the key in it is what lets a browser in (main/browser/bridge-lock.ts).
    /http:\/\/127\.0\.0\.1:\d+\/\?k=[0-9a-f]+/,
    'The browser host',
  );
}
