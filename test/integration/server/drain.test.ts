import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNTS_PATH, HEALTH_PATH, READY_PATH } from '../../../sync/protocol/frames.js';
import { createServerHarness } from '../../support/server-harness.js';

// SQLite only: the drain is the process's and its HTTP server's; the CLI runs on its default store.
const h = createServerHarness();
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h.cleanup();
});

/** The real CLI; resolves with its port once it prints its address. */
async function startCli(dataDir: string) {
  const child = spawn(join('node_modules', '.bin', 'tsx'), [join('sync', 'server', 'cli.ts'), '--port', '0', '--data', dataDir], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`CLI exited (${code}) early: ${stderr}`)));
  });
  return { child, port, exited, stderr: () => stderr };
}

/** A raw HTTP/1.1 connection, so a request can be left half-sent (in flight) and another pipelined behind it. */
async function rawHttp(port: number): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return { socket, received: () => received, ended };
}

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SIGTERM drain', () => {
  it('stops accepting, finishes the request in flight, closes sockets with 1001 and exits 0 within 10 s', async () => {
    const cli = await startCli(await h.tempDir());
    const httpUrl = `http://127.0.0.1:${cli.port}`;
    const account = await h.createAccount({ httpUrl });
    const socket = await h.connect({ url: `ws://127.0.0.1:${cli.port}` }, account.token);

    // A sign-up whose body has not fully arrived: the server is mid-request when SIGTERM comes.
    const body = JSON.stringify({ username: 'latecomer', displayName: 'Late', password: 'correct horse battery staple' });
    const raw = await rawHttp(cli.port);
    raw.socket.write(
      `POST ${ACCOUNTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    const signalledAt = Date.now();
    cli.child.kill('SIGTERM');
    await until(() => cli.stderr().includes('"msg":"Draining"'), 'the drain to begin');
    // No new connections.
    await expect(fetch(httpUrl + HEALTH_PATH)).rejects.toThrow();
    // The request in flight is answered; a request pipelined behind it learns the server is not ready.
    raw.socket.write(`${body.slice(10)}GET ${READY_PATH} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await raw.ended;
    const answers = raw.received().split(/(?=HTTP\/1\.1 )/);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 201 /);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toContain('"ok":false');

    expect((await socket.closed).code).toBe(1001);
    expect(await cli.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    const lines = cli
      .stderr()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['Listening', 'Stopping', 'Draining', 'Stopped']));
    expect(cli.stderr()).not.toContain(account.token);
  }, 20_000);

  it('cuts what is still open at the drain deadline', async () => {
    const server = await h.startServer({ drainMs: 300 });
    const raw = await rawHttp(server.port);
    // Headers promise a body that never comes.
    raw.socket.write(
      `POST ${ACCOUNTS_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.close();
    await raw.ended;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(server.logLines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'Drain deadline reached: cutting what remains' }),
    );
  });
});
