import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UPLOADS_PATH } from '../../../sync/protocol/attachments.js';
import { HEALTH_PATH } from '../../../sync/protocol/frames.js';
import { GIF_SEARCH_PATH, GIFS_PATH } from '../../../sync/protocol/gif-frames.js';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { createServerHarness } from '../../support/server-harness.js';

// SQLite only: the CLI opens its own store from its flags, here the default (SQLite in --data).
const h = createServerHarness();
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h.cleanup();
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runCli(args: string[]): Run {
  const child = spawn(join('node_modules', '.bin', 'tsx'), [join('sync', 'server', 'cli.ts'), ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

function waitForLine(run: Run, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = run.stdout().match(pattern);
      if (match) resolve(match);
    };
    run.child.stdout!.on('data', check);
    void run.exited.then((code) => reject(new Error(`CLI exited (${code}) early: ${run.stderr()}`)));
    check();
  });
}

describe('sync server CLI', () => {
  it('prints one ws:// line once it accepts connections and exits 0 on SIGTERM', async () => {
    const dataDir = join(await h.tempDir(), 'nested', 'data');
    const run = runCli(['--port', '0', '--data', dataDir]);
    const [, port] = await waitForLine(run, /ws:\/\/127\.0\.0\.1:(\d+)/);

    const health = await fetch(`http://127.0.0.1:${port}${HEALTH_PATH}`);
    expect(await health.json()).toMatchObject({ ok: true });
    const account = await h.createAccount({ httpUrl: `http://127.0.0.1:${port}` });
    const socket = await h.connect({ url: `ws://127.0.0.1:${port}` }, account.token);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect((await socket.closed).code).toBe(1001);
    expect(run.stdout().trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dataDir, SERVER_DATABASE_FILE))).toBe(true);
  });

  it('exits 1 with one clear line when the port is taken', async () => {
    const taken = await h.startServer();
    const run = runCli(['--port', String(taken.port), '--data', await h.tempDir()]);
    expect(await run.exited).toBe(1);
    expect(run.stderr().trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`port ${taken.port}.*already in use`))]);
    expect(run.stdout()).toBe('');
  });

  it('serves TLS itself with --tls-cert and --tls-key and prints its wss:// address', async () => {
    const tls = join(process.cwd(), 'test', 'support', 'tls');
    const run = runCli([
      '--port',
      '0',
      '--data',
      await h.tempDir(),
      '--tls-cert',
      join(tls, 'test-server.crt'),
      '--tls-key',
      join(tls, 'test-server.key'),
    ]);
    const [, port] = await waitForLine(run, /Sync server listening on wss:\/\/127\.0\.0\.1:(\d+)/);
    const health = await new Promise<number>((resolve, reject) => {
      get(`https://127.0.0.1:${port}${HEALTH_PATH}`, { ca: readFileSync(join(tls, 'test-server.crt')) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(health).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('exits 1 explaining that --data is required', async () => {
    const run = runCli(['--port', '0']);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('--data');
  });

  it('takes --max-file-mb and --quota-mb: the welcome tells the file limit, an upload over it is refused', async () => {
    const run = runCli(['--port', '0', '--data', await h.tempDir(), '--max-file-mb', '1', '--quota-mb', '3']);
    const [, port] = await waitForLine(run, /ws:\/\/127\.0\.0\.1:(\d+)/);
    const httpUrl = `http://127.0.0.1:${port}`;
    const account = await h.createAccount({ httpUrl });
    const socket = await h.connect({ url: `ws://127.0.0.1:${port}` }, account.token);
    expect((await socket.waitForPush('welcome')).limits).toEqual({ maxFileBytes: 1024 * 1024 });
    const sha256 = 'a'.repeat(64);
    const create = (length: number) =>
      fetch(httpUrl + UPLOADS_PATH, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${account.token}`,
          'tus-resumable': '1.0.0',
          'upload-length': String(length),
          'upload-metadata': `sha256 ${Buffer.from(sha256).toString('base64')}`,
        },
      });
    expect((await create(1024 * 1024 + 1)).status).toBe(413);
    for (let i = 0; i < 3; i += 1) expect((await create(1024 * 1024)).status).toBe(201);
    expect((await create(1)).status).toBe(403);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('takes --turn-url and --turn-secret: a signed-in device is handed credentials for that relay', async () => {
    const run = runCli([
      '--port',
      '0',
      '--data',
      await h.tempDir(),
      '--turn-url',
      'turn:relay.example.org:3478,turns:relay.example.org:5349',
      '--turn-secret',
      'shared-with-coturn',
    ]);
    const [, port] = await waitForLine(run, /ws:\/\/127\.0\.0\.1:(\d+)/);
    const account = await h.createAccount({ httpUrl: `http://127.0.0.1:${port}` });
    const socket = await h.connect({ url: `ws://127.0.0.1:${port}` }, account.token);
    const reply = await socket.call({ type: 'fetch_turn_credentials' }, 'turn_credentials');
    expect(reply.iceServers).toHaveLength(1);
    const [relay] = reply.iceServers;
    expect(relay!.urls).toEqual(['turn:relay.example.org:3478', 'turns:relay.example.org:5349']);
    expect(relay!.username).toMatch(new RegExp(`^\\d+:${account.user.id}$`));
    expect(relay!.credential).toBe(createHmac('sha1', 'shared-with-coturn').update(relay!.username).digest('base64'));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('takes --gif-provider folder:<dir>: a signed-in device searches the folder and gets its GIFs', async () => {
    const gifs = await h.tempDir();
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    writeFileSync(
      join(gifs, 'index.json'),
      JSON.stringify([{ id: 'wave', title: 'Wave', tags: ['hello'], file: 'wave.gif', width: 1, height: 1 }]),
    );
    writeFileSync(join(gifs, 'wave.gif'), gif);
    const run = runCli(['--port', '0', '--data', await h.tempDir(), '--gif-provider', `folder:${gifs}`]);
    const [, port] = await waitForLine(run, /ws:\/\/127\.0\.0\.1:(\d+)/);
    const httpUrl = `http://127.0.0.1:${port}`;
    const { token } = await h.createAccount({ httpUrl });
    const headers = { authorization: `Bearer ${token}` };
    const search = await fetch(`${httpUrl}${GIF_SEARCH_PATH}?q=hello`, { headers });
    expect(await search.json()).toEqual({
      results: [{ id: 'wave', title: 'Wave', width: 1, height: 1 }],
      next: null,
      attribution: null,
    });
    expect(Buffer.from(await (await fetch(`${httpUrl}${GIFS_PATH}/wave`, { headers })).arrayBuffer())).toEqual(gif);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('exits 1 with one clear line for bad GIF provider flags', async () => {
    const dataDir = await h.tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['--gif-provider', 'giphy'], /--gif-provider giphy needs --gif-api-key <key>/],
      [['--gif-api-key', 'k'], /--gif-api-key is for --gif-provider giphy/],
      [['--gif-provider', 'tenor'], /--gif-provider must be "giphy" or "folder:<dir>", got "tenor"/],
      [['--gif-provider', `folder:${join(dataDir, 'missing')}`], /Cannot start: --gif-provider: ENOENT/],
      [['--gif-provider', `folder:${dataDir}`], /Cannot start: --gif-provider: The GIF folder has no index\.json/],
    ];
    await eachExitsWithOneLine(dataDir, cases);
    // CLI processes starting at once on a small machine.
  }, 40_000);

  it('exits 1 with one clear line for a bad --max-file-mb, --quota-mb or connection cap', async () => {
    const dataDir = await h.tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['--max-file-mb', '0'], /--max-file-mb must be a whole number of MiB from 1 to 2048, got "0"/],
      [['--max-file-mb', '2049'], /--max-file-mb .* from 1 to 2048, got "2049"/],
      [['--max-file-mb', '1.5'], /--max-file-mb .*got "1\.5"/],
      [['--quota-mb', 'lots'], /--quota-mb must be a whole number of MiB from 1 to \d+, got "lots"/],
      [['--max-file-mb', '200', '--quota-mb', '100'], /--quota-mb \(100\) must be at least --max-file-mb \(200\)/],
      [['--log-level', 'loud'], /--log-level must be one of trace, debug, info, warn, error, fatal, silent, got "loud"/],
      [['--tls-cert', 'chain.pem'], /--tls-cert and --tls-key go together/],
      [['--tls-cert', 'missing.pem', '--tls-key', 'missing.key'], /--tls-cert missing\.pem: ENOENT/],
      [
        ['--max-connections-per-account', '0'],
        /--max-connections-per-account must be a whole number from 1 to 1000000000, got "0"/,
      ],
      [['--max-connections-per-address', 'many'], /--max-connections-per-address must be a whole number .*got "many"/],
      [['--turn-url', 'turn:relay.example.org:3478'], /--turn-url and --turn-secret go together/],
      [
        ['--turn-url', 'https://relay.example.org', '--turn-secret', 'shh'],
        /--turn-url takes up to 8 turn:, turns: or stun: URLs separated by commas, got "https:\/\/relay\.example\.org"/,
      ],
    ];
    await eachExitsWithOneLine(dataDir, cases);
    // CLI processes starting at once on a small machine.
  }, 40_000);
});

/** Starts the CLI once per case, all at once, and expects each to exit 1 with one line on stderr matching its pattern. */
async function eachExitsWithOneLine(dataDir: string, cases: Array<[string[], RegExp]>): Promise<void> {
  const runs = cases.map(([args]) => runCli(['--port', '0', '--data', dataDir, ...args]));
  for (const [i, run] of runs.entries()) {
    expect(await run.exited).toBe(1);
    expect(run.stderr().trim().split('\n'), cases[i]![0].join(' ')).toEqual([expect.stringMatching(cases[i]![1])]);
    expect(run.stdout()).toBe('');
  }
}
