/** `npm run web`'s built entry (dist/main/browser-cli.cjs) as a real process: start, serve, relay, stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONTENT_SECURITY_POLICY } from '../../../main/common/csp.js';
import { PREFERENCES_FILE } from '../../../sync/client/preferences-store.js';
import { isPlainDatabaseFile } from '../../../sync/node/database-key.js';
import { wsText } from '../../../sync/node/ws-text.js';
import { openBridgeSession } from './fixtures/bridge-session.js';
import { buildTestDist } from './fixtures/build-dist.js';

let distDir: string;
let removeDist: () => void;
let tempDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'browser-cli-'));
  ({ distDir, remove: removeDist } = await buildTestDist());
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(tempDir, { recursive: true, force: true });
  removeDist?.();
});

interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function runCli(args: string[]): Cli {
  const child = spawn(process.execPath, [path.join(distDir, 'main', 'browser-cli.cjs'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

function waitForUrl(cli: Cli): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?k=[0-9a-f]{64}/.exec(cli.stdout());
      if (match) {
        cli.child.stdout!.off('data', check);
        resolve(match[0]);
      }
    };
    cli.child.stdout!.on('data', check);
    void cli.exited.then((code) => reject(new Error(`exited with ${code}: ${cli.stderr()}`)));
    check();
  });
}

describe('browser host CLI', () => {
  it('prints one line with its one-time address, serves the renderer and the bridge, and stops cleanly on SIGTERM', async () => {
    const profileDir = path.join(tempDir, 'ann');
    const cli = runCli(['--port', '0', '--profile', profileDir, '--server', 'ws://127.0.0.1:7999']);
    const printed = await waitForUrl(cli);
    expect(cli.stdout().trim().split('\n')).toEqual([
      `Messenger is running at ${printed} — open it in your browser (the address works once)`,
    ]);
    const url = new URL(printed).origin;

    // Locked until the printed address has been opened.
    expect((await fetch(`${url}/`)).status).toBe(401);
    const cookie = await openBridgeSession(printed);
    const page = await fetch(`${url}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Fixture</title>');
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const script = await fetch(`${url}/app.js`, { headers: { cookie } });
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('fixture renderer');
    expect((await fetch(`${url}/app.css`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(printed, { redirect: 'manual' })).status).toBe(401);

    const ws = new WebSocket(`${url.replace('http', 'ws')}/bridge`, { origin: url, headers: { cookie } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const reply = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(wsText(data)))));
    ws.send(JSON.stringify({ id: 1, method: 'getDefaults', args: {} }));
    expect(await reply).toEqual({ id: 1, reply: { ok: true, result: { serverUrl: 'ws://127.0.0.1:7999' } } });
    const dropped = new Promise((resolve) => ws.once('close', resolve));

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await dropped;
    expect(existsSync(path.join(profileDir, 'mirror.sqlite'))).toBe(true);
    // The mirror is encrypted with the key kept beside it in a 0600 file.
    expect(isPlainDatabaseFile(path.join(profileDir, 'mirror.sqlite'))).toBe(false);
    expect(readFileSync(path.join(profileDir, 'mirror.key'), 'latin1')).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path.join(profileDir, 'mirror.key')).mode & 0o777).toBe(0o600);
    expect(cli.stderr()).toBe('');
  });

  it('--offline starts the core with Work offline on, kept in the profile until switched off', async () => {
    const profileDir = path.join(tempDir, 'offline');
    const cli = runCli(['--port', '0', '--profile', profileDir, '--server', 'ws://127.0.0.1:7999', '--offline']);
    await waitForUrl(cli);
    const preferences: unknown = JSON.parse(readFileSync(path.join(profileDir, PREFERENCES_FILE), 'utf8'));
    expect(preferences).toMatchObject({ workOffline: true });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toBe('');
  });

  it('refuses to start without --profile', async () => {
    const cli = runCli(['--port', '0']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toMatch(/--profile <dir> is required/);
    expect(cli.stdout()).toBe('');
  });

  it('fails clearly when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const cli = runCli(['--port', String(port), '--profile', path.join(tempDir, 'bob')]);
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain(`Port ${port} is already in use`);
    } finally {
      blocker.close();
    }
  });
});
