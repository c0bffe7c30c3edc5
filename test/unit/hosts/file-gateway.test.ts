/** The attachment gateway both hosts share, against a real BlobStore in a temporary profile. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../../main/common/csp.js';
import {
  contentDisposition,
  filesTargetOf,
  handleFilesRequest,
  importFile,
  parseRange,
  servedContentType,
  type GatewayResponse,
} from '../../../main/common/file-gateway.js';
import { BlobStore } from '../../../sync/client/attachments/blob-store.js';
import { memoryFileKeys } from '../../support/file-keys.js';

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const HTML = Buffer.from('<!doctype html><script>alert(1)</script>');

let profile: string;
let store: BlobStore;

beforeAll(() => {
  profile = mkdtempSync(path.join(tmpdir(), 'file-gateway-'));
  store = new BlobStore(profile, memoryFileKeys());
});
afterAll(() => rmSync(profile, { recursive: true, force: true }));

async function bodyOf(response: GatewayResponse): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  if (typeof response.body === 'string') return Buffer.from(response.body);
  const chunks: Buffer[] = [];
  for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function call(method: string, url: string, options: { body?: Buffer; range?: string } = {}) {
  return handleFilesRequest(store, {
    method,
    url: new URL(url, 'http://127.0.0.1:1/'),
    body: () => Readable.from([options.body ?? Buffer.alloc(0)]),
    range: options.range,
  });
}

async function imported(bytes: Buffer): Promise<{ sha256: string; size: number; mime: string }> {
  const response = await call('POST', '/files', { body: bytes });
  expect(response.status).toBe(201);
  return JSON.parse((await bodyOf(response)).toString()) as { sha256: string; size: number; mime: string };
}

describe('the file gateway', () => {
  it('imports a body into the store and answers with its hash, size and sniffed type', async () => {
    const stored = await imported(PNG);
    expect(stored).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown, size: PNG.length, mime: 'image/png' });
    expect(await store.has(stored.sha256)).toBe(true);
  });

  it('refuses an empty body and one over the limit, as JSON codes', async () => {
    const empty = await call('POST', '/files', { body: Buffer.alloc(0) });
    expect(empty.status).toBe(400);
    expect(JSON.parse((await bodyOf(empty)).toString())).toEqual({ code: 'empty_file' });

    const large = await importFile(store, Readable.from([Buffer.alloc(2000)]), 1000);
    expect(large.status).toBe(413);
    expect(JSON.parse((await bodyOf(large)).toString())).toEqual({ code: 'file_too_large' });
  });

  it('serves a stored file whole, by range, and as HEAD, with the security headers', async () => {
    const bytes = Buffer.from('0123456789abcdefghij');
    const { sha256 } = await imported(bytes);
    const whole = await call('GET', `/files/${sha256}`);
    expect(whole.status).toBe(200);
    expect(whole.headers).toMatchObject({ ...SECURITY_HEADERS, 'Content-Length': '20', 'Accept-Ranges': 'bytes' });
    expect(whole.headers['X-Content-Type-Options']).toBe('nosniff');
    expect((await bodyOf(whole)).equals(bytes)).toBe(true);

    const part = await call('GET', `/files/${sha256}`, { range: 'bytes=5-9' });
    expect(part.status).toBe(206);
    expect(part.headers['Content-Range']).toBe('bytes 5-9/20');
    expect((await bodyOf(part)).toString()).toBe('56789');

    const tail = await call('GET', `/files/${sha256}`, { range: 'bytes=-3' });
    expect((await bodyOf(tail)).toString()).toBe('hij');
    const open = await call('GET', `/files/${sha256}`, { range: 'bytes=18-' });
    expect((await bodyOf(open)).toString()).toBe('ij');

    const head = await call('HEAD', `/files/${sha256}`);
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers['Content-Length']).toBe('20');
  });

  it('keeps an imported file encrypted on disk, and serves its plaintext whole and by ranges across chunks', async () => {
    const marker = Buffer.from('GATEWAY-KNOWN-BYTES');
    const bytes = randomBytes(200_000);
    for (let at = 10; at < bytes.length - marker.length; at += 40_000) marker.copy(bytes, at);
    const { sha256 } = await imported(bytes);
    for (const name of readdirSync(profile, { recursive: true, encoding: 'utf8' })) {
      const file = path.join(profile, name);
      if (statSync(file).isFile()) expect(readFileSync(file).includes(marker), name).toBe(false);
    }
    const whole = await call('GET', `/files/${sha256}`);
    expect(whole.headers['Content-Length']).toBe('200000');
    expect((await bodyOf(whole)).equals(bytes)).toBe(true);
    const across = await call('GET', `/files/${sha256}`, { range: 'bytes=65000-140000' });
    expect(across.headers['Content-Range']).toBe('bytes 65000-140000/200000');
    expect((await bodyOf(across)).equals(bytes.subarray(65_000, 140_001))).toBe(true);
  });

  it('refuses a file altered on disk with a clear code, and still serves a plain file from before encryption', async () => {
    const { sha256 } = await imported(Buffer.from('a file someone will meddle with'));
    const file = readFileSync(store.pathOf(sha256));
    file.writeUInt8(file.readUInt8(file.length - 20) ^ 0x40, file.length - 20);
    writeFileSync(store.pathOf(sha256), file);
    const altered = await call('GET', `/files/${sha256}`);
    expect(altered.status).toBe(500);
    expect(JSON.parse((await bodyOf(altered)).toString())).toEqual({ code: 'file_unreadable' });

    const old = Buffer.from('stored in plain before this version');
    const oldSha = createHash('sha256').update(old).digest('hex');
    writeFileSync(store.pathOf(oldSha), old);
    expect((await bodyOf(await call('GET', `/files/${oldSha}`))).equals(old)).toBe(true);
    expect((await bodyOf(await call('GET', `/files/${oldSha}`, { range: 'bytes=0-5' }))).toString()).toBe('stored');
  });

  it('answers 416 to a range past the end, and the whole file to several or malformed ranges', async () => {
    const { sha256 } = await imported(Buffer.from('short file'));
    const past = await call('GET', `/files/${sha256}`, { range: 'bytes=10-20' });
    expect(past.status).toBe(416);
    expect(past.headers['Content-Range']).toBe('bytes */10');
    for (const range of ['bytes=0-1,3-4', 'items=0-1', 'bytes=5-2', 'bytes=-']) {
      expect((await call('GET', `/files/${sha256}`, { range })).status, range).toBe(200);
    }
  });

  it('serves only inline images and recordings under their type; everything else is opaque', async () => {
    const png = await imported(PNG);
    expect((await call('GET', `/files/${png.sha256}`)).headers['Content-Type']).toBe('image/png');
    const html = await imported(HTML);
    expect((await call('GET', `/files/${html.sha256}`)).headers['Content-Type']).toBe('application/octet-stream');
    expect(servedContentType('image/svg+xml')).toBe('application/octet-stream');
    expect(servedContentType('text/html')).toBe('application/octet-stream');
    expect(servedContentType('audio/webm')).toBe('audio/webm');
    expect(servedContentType('image/webp')).toBe('image/webp');
  });

  it('adds a sanitised attachment disposition when asked to save', async () => {
    const { sha256 } = await imported(HTML);
    const saved = await call('GET', `/files/${sha256}?save=${encodeURIComponent('../../evil\u202egpj.exe')}`);
    const disposition = saved.headers['Content-Disposition']!;
    expect(disposition.startsWith('attachment; ')).toBe(true);
    expect(disposition).not.toContain('/');
    expect(disposition).not.toContain('\u202e');
    expect(contentDisposition('Résumé "final".pdf')).toBe(
      `attachment; filename="R_sum_ _final_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20_final_.pdf`,
    );
    expect(contentDisposition('con.txt')).toContain('filename="_con.txt"');
    expect((await call('GET', `/files/${sha256}`)).headers['Content-Disposition']).toBeUndefined();
  });

  it('knows only 64-hex names: anything else is 404, and wrong methods are 405', async () => {
    for (const name of ['abc', '../secret', `${'A'.repeat(64)}`, `${'a'.repeat(63)}`, `${'a'.repeat(64)}/x`, '%2e%2e']) {
      expect((await call('GET', `/files/${name}`)).status, name).toBe(404);
    }
    expect((await call('GET', `/files/${'a'.repeat(64)}`)).status).toBe(404); // not stored
    expect((await call('GET', '/files')).status).toBe(405);
    expect((await call('DELETE', `/files/${'a'.repeat(64)}`)).status).toBe(405);
    expect(filesTargetOf('/filesystem')).toBeNull();
    expect(filesTargetOf('/index.html')).toBeNull();
    expect(filesTargetOf('/files')).toEqual({ kind: 'collection' });
  });
});

describe('parseRange', () => {
  it('resolves single ranges against the size', () => {
    expect(parseRange(undefined, 10)).toBeNull();
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=2-100', 10)).toEqual({ start: 2, end: 9 });
    expect(parseRange('bytes=-100', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
  });
});
