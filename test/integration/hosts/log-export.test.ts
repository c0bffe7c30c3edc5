/**
 * Logs for real, in the browser host: the built core worker and a real sync server. A person
 * signs up and sends a message through the bridge; the profile's logs/ then hold the host's and
 * the core's lines (start, connection, sign-in, the outbox send by its ids), and "Export logs"
 * (GET /logs/export, behind the host's lock) answers with one attachment holding them, with no
 * token, password, key, cookie or message text in it, even one planted in the log file by hand.
 * Also the CLI's --log-level.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserApp, type BrowserApp } from '../../../main/browser/browser-app.js';
import { loadOrCreateKeyFile } from '../../../main/common/mirror-key-file.js';
import { LOG_FILE_NAME } from '../../../main/common/logging-rotation.js';
import type { MessageView, SessionInfo } from '../../../sync/app-api/contract.js';
import { LOGS_EXPORT_PATH } from '../../../sync/app-api/log-export.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { wsText } from '../../../sync/node/ws-text.js';
import { eventually } from '../../support/client-harness.js';
import { createServerHarness, type TestServer } from '../../support/server-harness.js';
import { openBridgeSession } from './fixtures/bridge-session.js';
import { buildTestDist } from './fixtures/build-dist.js';

const PASSWORD = 'a password nobody may read';
const MESSAGE_TEXT = 'the private words of this message';

const servers = createServerHarness();
let distDir: string;
let removeDist: () => void;
let tempDir: string;
let profileDir: string;
let server: TestServer;
let app: BrowserApp;
let cookie: string;
let bridge: WebSocket;
let nextId = 1;

async function call<T>(method: string, args: unknown = {}): Promise<T> {
  const id = nextId++;
  const reply = new Promise<{ ok: boolean; result?: T; error?: unknown }>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(wsText(data)) as { id?: number; reply?: { ok: boolean; result?: T; error?: unknown } };
      if (frame.id !== id || !frame.reply) return;
      bridge.off('message', onMessage);
      resolve(frame.reply);
    };
    bridge.on('message', onMessage);
  });
  bridge.send(JSON.stringify({ id, method, args }));
  const answer = await reply;
  if (!answer.ok) throw new Error(`${method} failed: ${JSON.stringify(answer.error)}`);
  return answer.result as T;
}

function get(pathname: string, headers: Record<string, string>, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: app.port, path: pathname, method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'log-export-'));
  profileDir = path.join(tempDir, 'alice');
  ({ distDir, remove: removeDist } = await buildTestDist());
  server = await servers.startServer();
  app = await startBrowserApp({
    port: 0,
    profileDir,
    defaultServerUrl: server.url,
    logLevel: 'debug',
    workerScript: path.join(distDir, 'main', 'core-worker.cjs'),
    rendererDir: path.join(distDir, 'renderer'),
    onFatal: (error) => {
      throw error;
    },
  });
  cookie = await openBridgeSession(app.url);
  bridge = new WebSocket(`${app.origin.replace('http', 'ws')}/bridge`, { origin: app.origin, headers: { cookie } });
  await new Promise((resolve, reject) => {
    bridge.once('open', resolve);
    bridge.once('error', reject);
  });
}, 120_000);

afterAll(async () => {
  bridge?.close();
  await app?.close();
  await servers.cleanup();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  removeDist?.();
});

describe('logs in the browser host', () => {
  it('logs what happened, and exports it as one attachment with no secret in it', async () => {
    const bob = await servers.createAccount(server, { username: 'bob' });
    const session = await call<SessionInfo>('createAccount', {
      serverUrl: server.url,
      username: 'alice',
      displayName: 'Alice',
      password: PASSWORD,
    });
    await eventually(
      () => call<string>('getConnectionState'),
      (state) => state === 'online',
      'alice online',
    );
    const conversation = await call<{ id: string }>('startConversation', { username: bob.user.username });
    const message = await call<MessageView>('sendMessage', { conversationId: conversation.id, text: MESSAGE_TEXT });
    await eventually(
      () => call<{ messages: MessageView[] }>('listMessages', { conversationId: conversation.id }),
      (page) => page.messages.some((m) => m.id === message.id && m.status !== 'sending'),
      'the message acknowledged',
    );

    // The real token, from the mirror (the worker has it open too: WAL lets a reader in).
    const mirror = Mirror.open(path.join(profileDir, 'mirror.sqlite'), { key: loadOrCreateKeyFile(profileDir) });
    const token = mirror.session()?.token;
    mirror.close();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const bridgeKey = new URL(app.url).searchParams.get('k')!;
    const cookieValue = cookie.split('=')[1]!;
    // A line an older version might have written unmasked: the export masks it all the same.
    appendFileSync(
      path.join(profileDir, 'logs', LOG_FILE_NAME),
      `{"level":30,"msg":"GET ${server.httpUrl}/v1/sessions?token=${token!} with Authorization: Bearer ${token!}"}\n`,
    );

    // Locked like everything else the host serves; only GET and HEAD.
    expect((await get(LOGS_EXPORT_PATH, {})).status).toBe(401);
    expect((await get(LOGS_EXPORT_PATH, { cookie: `${cookie.split('=')[0]}=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await get(LOGS_EXPORT_PATH, { cookie, host: 'evil.example' })).status).toBe(403);
    expect((await get(LOGS_EXPORT_PATH, { cookie }, 'POST')).status).toBe(405);

    const exported = await get(LOGS_EXPORT_PATH, { cookie, 'user-agent': 'Mozilla/5.0 (X11) Chrome/140.0.0.0 Safari/537.36' });
    expect(exported.status).toBe(200);
    expect(exported.headers['content-disposition']).toMatch(
      /^attachment; filename="messenger-logs-\d{4}-\d{2}-\d{2}-\d{6}\.log"$/,
    );
    expect(exported.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(exported.headers['x-content-type-options']).toBe('nosniff');
    expect(exported.headers['cache-control']).toBe('no-store');
    const text = exported.body;

    expect(text).toMatch(/^# Messenger logs\n# exported: \S+\n# app: \d+\.\d+\.\d+/);
    expect(text).toContain('# electron: —\n');
    expect(text).toContain(`# node: ${process.versions.node}\n`);
    expect(text).toContain('# browser: Mozilla/5.0 (X11) Chrome/140.0.0.0 Safari/537.36\n');
    const entries = text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const logged = (name: string, msg: string) => entries.filter((entry) => entry.name === name && entry.msg === msg);
    expect(logged('browser-host', 'browser host starting')).toHaveLength(1);
    expect(logged('core', 'client core opened')).toHaveLength(1);
    expect(logged('core', 'signed in')[0]).toMatchObject({ userId: session.user.id });
    expect(logged('core', 'connection state').map((entry) => entry.to)).toContain('online');
    expect(logged('core', 'outbox send')).toContainEqual(
      expect.objectContaining({ conversationId: conversation.id, clientId: message.id, kind: 'send', attempt: 1 }),
    );
    expect(logged('core', 'outbox acknowledged')).toContainEqual(expect.objectContaining({ clientId: message.id }));

    for (const secret of [token!, PASSWORD, MESSAGE_TEXT, bridgeKey, cookieValue]) expect(text).not.toContain(secret);
    expect(text).toContain(`/v1/sessions?token=[redacted] with Authorization: [redacted]`);
    // The log file itself never had them either, but for the planted line.
    const file = readFileSync(path.join(profileDir, 'logs', LOG_FILE_NAME), 'utf8');
    for (const secret of [PASSWORD, MESSAGE_TEXT, bridgeKey, cookieValue]) expect(file).not.toContain(secret);
    expect(file.split(token!).length).toBe(3);
  });
});

describe('--log-level in the browser host CLI', () => {
  function runCli(args: string[]) {
    const child = spawn(process.execPath, [path.join(distDir, 'main', 'browser-cli.cjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { child, exited, stdout: () => out, stderr: () => err };
  }

  it('refuses a level that does not exist, saying which ones do', async () => {
    const cli = runCli(['--port', '0', '--profile', path.join(tempDir, 'loud'), '--log-level', 'loud']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('--log-level must be one of trace, debug, info, warn, error, fatal, silent');
  });

  it('writes only what the level lets through', async () => {
    const dir = path.join(tempDir, 'quiet');
    const cli = runCli(['--port', '0', '--profile', dir, '--server', server.url, '--log-level', 'warn']);
    await eventually(cli.stdout, (out) => out.includes('Messenger is running at'), 'the address', 30_000);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const warnOrWorse = readFileSync(path.join(dir, 'logs', LOG_FILE_NAME), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { level: number }).level);
    // Started, opened, stopped: all info, none written. (Anything written is warn or worse.)
    expect(warnOrWorse.every((level) => level >= 40)).toBe(true);

    const chatty = path.join(tempDir, 'chatty');
    const second = runCli(['--port', '0', '--profile', chatty, '--server', server.url, '--log-level', 'info']);
    await eventually(second.stdout, (out) => out.includes('Messenger is running at'), 'the address', 30_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const messages = readFileSync(path.join(chatty, 'logs', LOG_FILE_NAME), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['browser host starting', 'client core opened', 'browser host stopped']));
  });
});
