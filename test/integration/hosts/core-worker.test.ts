/**
 * The core worker relay, end to end in real worker threads:
 *   - the relay protocol against a fake core (built from fixtures/fake-core-worker.ts), including
 *     a core that cannot open and a worker that dies mid-call;
 *   - the real dist/main/core-worker.cjs over the real client core, built by scripts/build.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile, lazyBlobStore, serveFile } from '../../../main/common/file-gateway.js';
import { startCoreWorker, type CoreWorkerHandle } from '../../../main/node/core-worker-client.js';
import { HEADER_BYTES, keyIdOf } from '../../../sync/client/attachments/sealed-file.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { buildTestDist } from './fixtures/build-dist.js';
import { FAKE_GIF, FAKE_GIF_ID } from './fixtures/fake-core.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');
let tempDir: string;
let fakeWorker: string;
let distDir: string;
let removeDist: () => void;

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'core-worker-'));
  fakeWorker = path.join(tempDir, 'fake-core-worker.cjs');
  const [, built] = await Promise.all([
    esbuild.build({
      entryPoints: [path.join(fixtures, 'fake-core-worker.ts')],
      outfile: fakeWorker,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
    }),
    buildTestDist(),
  ]);
  distDir = built.distDir;
  removeDist = built.remove;
});

afterAll(() => {
  rmSync(tempDir, { recursive: true, force: true });
  removeDist?.();
});

function profile(name: string): string {
  const dir = path.join(tempDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function nextEvents(worker: CoreWorkerHandle, count: number): Promise<AppEvent[]> {
  return new Promise((resolve) => {
    const seen: AppEvent[] = [];
    const stop = worker.subscribe((event) => {
      seen.push(event);
      if (seen.length === count) {
        stop();
        resolve(seen);
      }
    });
  });
}

describe('core worker relay (fake core)', () => {
  it('relays calls and events, and closes the core before the thread ends', async () => {
    const dir = profile('relay');
    const errors: Error[] = [];
    const worker = startCoreWorker(fakeWorker, {
      profileDir: dir,
      defaultServerUrl: 'ws://127.0.0.1:7878',
      onError: (error) => errors.push(error),
    });
    await worker.ready;
    expect(await worker.invoke('getDefaults', {})).toEqual({ ok: true, result: { serverUrl: 'ws://127.0.0.1:7878' } });

    const invalid = await worker.invoke('markRead', { conversationId: '' });
    expect(!invalid.ok && invalid.error.code).toBe('invalid_argument');
    const unknown = await worker.invoke('format', {});
    expect(!unknown.ok && unknown.error.code).toBe('invalid_argument');
    const uncloneable = await worker.invoke('getDefaults', { fn: () => 1 });
    expect(!uncloneable.ok && uncloneable.error.code).toBe('invalid_argument');

    const events = nextEvents(worker, 2);
    const [a, b] = await Promise.all([
      worker.invoke('markRead', { conversationId: 'c1' }),
      worker.invoke('sendMessage', { conversationId: 'c1', text: 'hello' }),
    ]);
    expect(a).toEqual({ ok: true, result: null });
    expect(b.ok && (b.result as { text: string }).text).toBe('hello');
    expect(await events).toEqual([{ type: 'conversations' }, { type: 'messages', conversationId: 'c1' }]);

    expect(Buffer.from(await worker.gifBytes(FAKE_GIF_ID)).equals(FAKE_GIF)).toBe(true);
    await expect(worker.gifBytes('nobody-has-this')).rejects.toMatchObject({ code: 'not_found' });

    await worker.close();
    expect(readFileSync(path.join(dir, 'closed.txt'), 'utf8')).toBe('closed');
    await expect(worker.gifBytes(FAKE_GIF_ID)).rejects.toMatchObject({ code: 'internal' });
    const after = await worker.invoke('getDefaults', {});
    expect(!after.ok && after.error.code).toBe('internal');
    await worker.close(); // idempotent
    expect(errors).toEqual([]);
  });

  it('rejects ready and reports once when the core cannot be opened', async () => {
    const errors: Error[] = [];
    const worker = startCoreWorker(fakeWorker, {
      profileDir: profile('fail-to-open'),
      defaultServerUrl: 'ws://127.0.0.1:7878',
      onError: (error) => errors.push(error),
    });
    const call = worker.invoke('getDefaults', {});
    await expect(worker.ready).rejects.toThrow(/could not be opened: the mirror is from the future/);
    const reply = await call;
    expect(!reply.ok && reply.error.code).toBe('internal');
    await worker.close();
    expect(errors.map((e) => e.message)).toEqual(['The client core could not be opened: the mirror is from the future']);
  });

  it('resolves pending calls with internal errors and reports when the worker dies', async () => {
    const errors: Error[] = [];
    let reportedResolve!: () => void;
    const reported = new Promise<void>((resolve) => (reportedResolve = resolve));
    const worker = startCoreWorker(fakeWorker, {
      profileDir: profile('crash'),
      defaultServerUrl: 'ws://127.0.0.1:7878',
      onError: (error) => {
        errors.push(error);
        reportedResolve();
      },
    });
    await worker.ready;
    const crash = worker.invoke('discardMessage', { messageId: 'crash' });
    const reply = await crash;
    expect(reply).toEqual({
      ok: false,
      error: { code: 'internal', message: 'The client core stopped unexpectedly (exit code 7)' },
    });
    await reported;
    expect(errors).toHaveLength(1);
    const later = await worker.invoke('getDefaults', {});
    expect(!later.ok && later.error.code).toBe('internal');
    await worker.close();
  });
});

describe('built core worker (real client core)', () => {
  it('opens a profile, answers the app API and closes the mirror', async () => {
    const dir = profile('real');
    const errors: Error[] = [];
    const worker = startCoreWorker(path.join(distDir, 'main', 'core-worker.cjs'), {
      profileDir: dir,
      defaultServerUrl: 'ws://127.0.0.1:7999',
      onError: (error) => errors.push(error),
    });
    await worker.ready;
    expect(await worker.invoke('getDefaults', {})).toEqual({ ok: true, result: { serverUrl: 'ws://127.0.0.1:7999' } });
    expect(await worker.invoke('getSession', {})).toEqual({ ok: true, result: null });
    const invalid = await worker.invoke('logIn', { serverUrl: 'ftp://x', username: 'a', password: 'b' });
    expect(!invalid.ok && invalid.error.code).toBe('invalid_argument');
    await worker.close();
    expect(existsSync(path.join(dir, 'mirror.sqlite'))).toBe(true);
    expect(errors).toEqual([]);
  });

  it("keeps the host's attachment files encrypted with keys the worker holds in the mirror", async () => {
    const dir = profile('files');
    const worker = startCoreWorker(path.join(distDir, 'main', 'core-worker.cjs'), {
      profileDir: dir,
      defaultServerUrl: 'ws://127.0.0.1:7999',
    });
    await worker.ready;
    const store = lazyBlobStore(dir, worker.fileKeys)();
    const marker = Buffer.from('HOST-IMPORTED-KNOWN-BYTES');
    const bytes = Buffer.concat([marker, randomBytes(100_000), marker]);
    const posted = await importFile(store, Readable.from([bytes]));
    expect(posted.status).toBe(201);
    const { sha256 } = JSON.parse(posted.body as string) as { sha256: string };
    const served = await serveFile(store, { method: 'GET', sha256, saveAs: null, range: 'bytes=99990-' });
    expect(served.status).toBe(206);
    const chunks: Buffer[] = [];
    for await (const chunk of served.body as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(bytes.subarray(99_990));
    expect(readFileSync(store.pathOf(sha256)).includes(marker)).toBe(false);
    await worker.close();

    // The key is in the mirror (and only there): with the worker gone, nothing serves the file.
    const header = readFileSync(store.pathOf(sha256)).subarray(0, HEADER_BYTES);
    const mirror = Mirror.open(path.join(dir, 'mirror.sqlite'));
    expect(await mirror.fileKeys.get(keyIdOf(header))).toHaveLength(32);
    mirror.close();
    expect((await serveFile(store, { method: 'GET', sha256, saveAs: null, range: null })).status).toBe(500);
  });

  it('fails clearly when the profile cannot be opened', async () => {
    const notADir = path.join(tempDir, 'plain-file');
    writeFileSync(notADir, 'x');
    const errors: Error[] = [];
    const worker = startCoreWorker(path.join(distDir, 'main', 'core-worker.cjs'), {
      profileDir: notADir,
      defaultServerUrl: 'ws://127.0.0.1:7999',
      onError: (error) => errors.push(error),
    });
    await expect(worker.ready).rejects.toThrow(/could not be opened/);
    await worker.close();
    expect(errors).toHaveLength(1);
  });
});
