import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CHECKSUM_MISMATCH_STATUS } from '../../../sync/protocol/attachments.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { ATTACHMENTS_DIR } from '../../../sync/server/attachments/attachment-files.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import {
  bearer,
  createUpload,
  download,
  sendAttachments,
  sendWithAttachments,
  sha256Of,
  startTusUpload,
  testFile,
  uploadFile,
  uploadIdOf,
  uploadRequest,
} from './attachment-support.js';

const MiB = 1024 * 1024;

/** A refusal's JSON body, as the HTTP endpoints answer it. */
function refusalBody(reason: keyof typeof REFUSALS) {
  const { code } = REFUSALS[reason];
  return { code, reason, message: expect.any(String) as string };
}

async function filesIn(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, ATTACHMENTS_DIR))).sort();
}

/** Polls until `condition` holds (for byte counts moving on the wire); never a fixed sleep. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describeEachStore('tus uploads: who may upload, and what', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers every tus request without a valid bearer token 401 with WWW-Authenticate: Bearer', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server);
    const file = await testFile(await h.tempDir(), 100);
    const id = await uploadFile(server.httpUrl, account.token, file);
    const url = `${server.httpUrl}/v1/uploads/${id}`;

    for (const headers of [{}, bearer('f'.repeat(64)), { authorization: 'Basic abc' }]) {
      const creation = await createUpload(server.httpUrl, headers, { length: 100, sha256: file.sha256 });
      expect(creation.status).toBe(401);
      expect(creation.headers.get('www-authenticate')).toBe('Bearer');
      expect(creation.json).toEqual({ code: 'unauthorized', message: expect.any(String) as string });
      for (const method of ['HEAD', 'PATCH', 'DELETE'] as const) {
        const answer = await uploadRequest(
          url,
          method,
          { ...headers, 'upload-offset': '0' },
          method === 'PATCH' ? file.bytes : undefined,
        );
        expect(answer.status, method).toBe(401);
        expect(answer.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    // Too large and unauthenticated: the token is checked first.
    expect((await createUpload(server.httpUrl, {}, { length: 10 ** 12, sha256: file.sha256 })).status).toBe(401);
  });

  it('answers another person’s upload id exactly like one that does not exist (404), and changes nothing', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server);
    const mallory = await h.createAccount(server);
    const file = await testFile(await h.tempDir(), 1000);
    const created = await createUpload(server.httpUrl, bearer(alice.token), { length: file.size, sha256: file.sha256 });
    const url = server.httpUrl + created.headers.get('location')!;

    const answers = [];
    for (const target of [url, `${server.httpUrl}/v1/uploads/${'a'.repeat(32)}`]) {
      for (const method of ['HEAD', 'PATCH', 'DELETE', 'GET'] as const) {
        const answer = await uploadRequest(
          target,
          method,
          { ...bearer(mallory.token), 'upload-offset': '0' },
          method === 'PATCH' ? file.bytes : undefined,
        );
        answers.push({ method, status: answer.status, body: answer.text });
      }
    }
    const [theirs, none] = [answers.slice(0, 4), answers.slice(4)];
    expect(theirs).toEqual(none);
    expect(theirs.map((a) => a.status)).toEqual([404, 404, 404, 404]);
    expect(JSON.parse(theirs[1]!.body)).toEqual({ code: 'not_found', message: 'No such upload' });
    // Alice's upload is untouched: offset 0, and she can still finish it.
    const head = await uploadRequest(url, 'HEAD', bearer(alice.token));
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
    const patch = await uploadRequest(url, 'PATCH', { ...bearer(alice.token), 'upload-offset': '0' }, file.bytes);
    expect(patch.status).toBe(204);
    expect(patch.headers.get('upload-offset')).toBe(String(file.size));
  });

  it('tells a tus client what it supports: creation (with upload), termination, its size limit; no CORS for web pages', async () => {
    const server = await h.startServer({ maxFileBytes: 5 * MiB });
    const account = await h.createAccount(server);
    const answer = await fetch(`${server.httpUrl}/v1/uploads`, {
      method: 'OPTIONS',
      headers: { ...bearer(account.token), origin: 'https://evil.example' },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('tus-version')).toBe('1.0.0');
    expect(answer.headers.get('tus-extension')).toBe('creation,creation-with-upload,termination');
    expect(answer.headers.get('tus-max-size')).toBe(String(5 * MiB));
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('requires Upload-Length and a SHA-256 in Upload-Metadata (400 invalid), refuses empty files (400 empty_file)', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server);
    const auth = bearer(account.token);
    const sha256 = sha256Of(Buffer.from('x'));
    const invalid = { code: 'invalid', message: expect.any(String) as string };
    for (const sha of [null, 'not-a-hash', sha256.toUpperCase(), `${sha256}0`]) {
      const answer = await createUpload(server.httpUrl, auth, { length: 10, sha256: sha });
      expect(answer.status, String(sha)).toBe(400);
      expect(answer.json).toEqual(invalid);
    }
    expect((await createUpload(server.httpUrl, { ...auth, 'upload-metadata': 'sha256 !!!' }, { length: 10 })).json).toEqual(
      invalid,
    );
    expect((await createUpload(server.httpUrl, auth, { sha256 })).json).toEqual(invalid);
    expect((await createUpload(server.httpUrl, auth, { length: '-1', sha256 })).status).toBe(400);
    const deferred = await createUpload(server.httpUrl, { ...auth, 'upload-defer-length': '1' }, { sha256 });
    expect(deferred).toMatchObject({ status: 400, json: invalid });

    const empty = await createUpload(server.httpUrl, auth, { length: 0, sha256: sha256Of(Buffer.alloc(0)) });
    expect(empty.status).toBe(400);
    expect(empty.json).toEqual(refusalBody('empty_file'));
    expect(empty.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await filesIn(server.dataDir)).toEqual([]);
  });

  it('refuses a file over the server’s limit before any byte is sent (413 file_too_large)', async () => {
    const server = await h.startServer({ maxFileBytes: 1 * MiB });
    const account = await h.createAccount(server);
    const dir = await h.tempDir();
    const fits = await testFile(dir, MiB);
    const tooLarge = await testFile(dir, MiB + 1);
    expect(await uploadFile(server.httpUrl, account.token, fits)).toMatch(/^[0-9a-f]{32}$/);

    const answer = await createUpload(server.httpUrl, bearer(account.token), { length: tooLarge.size, sha256: tooLarge.sha256 });
    expect(answer.status).toBe(413);
    expect(answer.json).toEqual(refusalBody('file_too_large'));
    const { failure } = await startTusUpload(server.httpUrl, account.token, tooLarge).result;
    expect(failure?.status).toBe(413);
    expect(JSON.parse(failure!.body!)).toEqual(refusalBody('file_too_large'));
  });

  it('refuses an upload that would pass the person’s quota (403 quota_exceeded); deleting an unsent upload frees it', async () => {
    const server = await h.startServer({ quotaBytes: 10_000 });
    const alice = await h.createAccount(server);
    const bob = await h.createAccount(server);
    const dir = await h.tempDir();
    const six = await testFile(dir, 6000);
    const five = await testFile(dir, 5000);
    const first = await uploadFile(server.httpUrl, alice.token, six);

    const refused = await createUpload(server.httpUrl, bearer(alice.token), { length: five.size, sha256: five.sha256 });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual(refusalBody('quota_exceeded'));
    // Unfinished uploads count too: they hold their whole declared size.
    const four = await createUpload(server.httpUrl, bearer(alice.token), { length: 4000, sha256: five.sha256 });
    expect(four.status).toBe(201);
    expect((await createUpload(server.httpUrl, bearer(alice.token), { length: 1, sha256: five.sha256 })).status).toBe(403);
    // Quotas are per person.
    expect(await uploadFile(server.httpUrl, bob.token, five)).toMatch(/^[0-9a-f]{32}$/);

    // Giving up an upload nothing refers to frees its share (tus termination).
    const gone = await uploadRequest(server.httpUrl + four.headers.get('location')!, 'DELETE', bearer(alice.token));
    expect(gone.status).toBe(204);
    expect(await uploadFile(server.httpUrl, alice.token, await testFile(dir, 4000))).toMatch(/^[0-9a-f]{32}$/);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
  });

  it('never deletes an upload an envelope refers to (409), while an unsent one goes with its files', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 300);
    const sent = await uploadFile(server.httpUrl, alice.token, file);
    const unsent = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [sent]);

    const refused = await uploadRequest(`${server.httpUrl}/v1/uploads/${sent}`, 'DELETE', bearer(alice.token));
    expect(refused.status).toBe(409);
    expect(refused.json).toEqual({ code: 'conflict', message: expect.any(String) as string });
    expect((await download(server.httpUrl, sent, bearer(bob.token))).bytes.equals(file.bytes)).toBe(true);

    expect((await uploadRequest(`${server.httpUrl}/v1/uploads/${unsent}`, 'DELETE', bearer(alice.token))).status).toBe(204);
    expect(await filesIn(server.dataDir)).toEqual([sent, `${sent}.json`].sort());
    expect((await uploadRequest(`${server.httpUrl}/v1/uploads/${unsent}`, 'HEAD', bearer(alice.token))).status).toBe(404);
  });
});

describeEachStore('tus uploads: verified and resumable', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('refuses bytes that do not have the declared SHA-256 (460 checksum_mismatch) and keeps nothing of them', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 200_000);
    const declared = sha256Of(Buffer.from('something else'));

    const { failure, url } = await startTusUpload(server.httpUrl, alice.token, { ...file, sha256: declared }).result;
    expect(failure?.status).toBe(CHECKSUM_MISMATCH_STATUS);
    expect(JSON.parse(failure!.body!)).toEqual(refusalBody('checksum_mismatch'));
    expect(await filesIn(server.dataDir)).toEqual([]);
    const id = uploadIdOf(url!);
    expect((await uploadRequest(url!, 'HEAD', bearer(alice.token))).status).toBe(404);
    const reply = await sendWithAttachments(aliceSocket, conversation.id, 'm1', [id]);
    expect(reply).toMatchObject({ type: 'error', ...REFUSALS.attachment_missing });
    // The refused bytes no longer count against the quota either: the same file, declared right, fits.
    expect(await uploadFile(server.httpUrl, alice.token, file)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes the bytes in the creation request itself (creation-with-upload), verified the same way', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 3000);
    const post = (sha256: string) =>
      fetch(`${server.httpUrl}/v1/uploads`, {
        method: 'POST',
        headers: {
          ...bearer(alice.token),
          'tus-resumable': '1.0.0',
          'upload-length': String(file.size),
          'upload-metadata': `sha256 ${Buffer.from(sha256).toString('base64')}`,
          'content-type': 'application/offset+octet-stream',
        },
        body: file.bytes,
      });
    const created = await post(file.sha256);
    expect(created.status).toBe(201);
    expect(created.headers.get('upload-offset')).toBe(String(file.size));
    const id = uploadIdOf(created.headers.get('location')!);
    expect((await sendAttachments(aliceSocket, conversation.id, 'm1', [id])).attachments).toEqual([id]);

    const mismatch = await post(sha256Of(Buffer.from('no')));
    expect(mismatch.status).toBe(CHECKSUM_MISMATCH_STATUS);
    expect(await mismatch.json()).toEqual(refusalBody('checksum_mismatch'));
    expect(await filesIn(server.dataDir)).toEqual([id, `${id}.json`].sort());
  });

  it('resumes an upload cut mid-way from the server’s offset: fewer than twice the file’s bytes in all', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 4 * MiB);
    const proxy = await startFaultProxy(server.port);
    const viaProxy = `http://127.0.0.1:${proxy.port}`;
    let uploadUrl: string;
    try {
      // Slow enough to cut it somewhere in the middle.
      proxy.throttle(8 * MiB);
      const first = startTusUpload(viaProxy, alice.token, file);
      await until(() => proxy.bytesToServer > file.size / 3, 'a third of the file on the wire');
      proxy.cut();
      const cut = await first.result;
      expect(cut.failure).not.toBeNull();
      uploadUrl = cut.url!;

      const offset = await offsetOf(uploadUrl, alice.token);
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeLessThan(file.size);

      proxy.throttle(null);
      const second = await startTusUpload(viaProxy, alice.token, file, { uploadUrl }).result;
      expect(second.failure).toBeNull();
      expect(second.url).toBe(uploadUrl);
      expect(proxy.bytesToServer).toBeLessThan(2 * file.size);
    } finally {
      await proxy.close();
    }
    const id = uploadIdOf(uploadUrl);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);
    expect(sha256Of((await download(server.httpUrl, id, bearer(bob.token))).bytes)).toBe(file.sha256);
  });

  it('resumes after the server restarted mid-upload, from what it had written', async () => {
    // No drain grace: the restart cuts the upload mid-way, as a crash or the drain deadline would.
    const first = await h.startServer({ drainMs: 0 });
    const { alice, bob, conversation } = await h.pair(first);
    const file = await testFile(await h.tempDir(), 4 * MiB);
    const proxy = await startFaultProxy(first.port);
    let lastProgress = 0;
    try {
      proxy.throttle(8 * MiB);
      const running = startTusUpload(`http://127.0.0.1:${proxy.port}`, alice.token, file);
      await until(() => proxy.bytesToServer > file.size / 3, 'a third of the file on the wire');
      const second = await h.restart(first);
      const cut = await running.result;
      expect(cut.failure).not.toBeNull();
      const sentBefore = proxy.bytesToServer;
      // Same upload, new address: the id is what carries over.
      const uploadUrl = `${second.httpUrl}/v1/uploads/${uploadIdOf(cut.url!)}`;
      const offset = await offsetOf(uploadUrl, alice.token);
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeLessThan(file.size);

      const resumed = await startTusUpload(second.httpUrl, alice.token, file, {
        uploadUrl,
        onProgress: (sent) => (lastProgress = sent),
      }).result;
      expect(resumed.failure).toBeNull();
      // The second leg sent the rest of the file only.
      expect(sentBefore + (lastProgress - offset)).toBeLessThan(2 * file.size);
      expect(lastProgress).toBe(file.size);

      const aliceSocket = await h.connect(second, alice.token);
      const id = uploadIdOf(uploadUrl);
      await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);
      const got = await download(second.httpUrl, id, bearer(bob.token));
      expect(got.bytes.equals(file.bytes)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describeEachStore('tus uploads: a server stopped between the last byte and its check', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('checks the bytes at the next HEAD: completes an upload whose bytes match, refuses one whose bytes do not (460)', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const dir = await h.tempDir();
    const good = await testFile(dir, 5000);
    const bad = await testFile(dir, 5000);
    const urls = [];
    for (const file of [good, bad]) {
      const created = await createUpload(server.httpUrl, bearer(alice.token), { length: file.size, sha256: good.sha256 });
      urls.push(server.httpUrl + created.headers.get('location')!);
      // As a server killed right after writing the last byte leaves it: all there, never checked.
      await writeFile(join(server.dataDir, ATTACHMENTS_DIR, uploadIdOf(urls.at(-1)!)), file.bytes);
    }
    const [goodUrl, badUrl] = urls as [string, string];
    const unchecked = await sendWithAttachments(aliceSocket, conversation.id, 'early', [uploadIdOf(goodUrl)]);
    expect(unchecked).toMatchObject({ type: 'error', reason: 'attachment_missing' });

    expect(await offsetOf(goodUrl, alice.token)).toBe(good.size);
    const id = uploadIdOf(goodUrl);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);
    expect((await download(server.httpUrl, id, bearer(bob.token))).bytes.equals(good.bytes)).toBe(true);

    const refused = await uploadRequest(badUrl, 'HEAD', bearer(alice.token));
    expect(refused.status).toBe(CHECKSUM_MISMATCH_STATUS);
    expect((await uploadRequest(badUrl, 'HEAD', bearer(alice.token))).status).toBe(404);
    expect(existsSync(join(server.dataDir, ATTACHMENTS_DIR, uploadIdOf(badUrl)))).toBe(false);
  });
});

async function offsetOf(uploadUrl: string, token: string): Promise<number> {
  const head = await uploadRequest(uploadUrl, 'HEAD', bearer(token));
  expect(head.status).toBe(200);
  return Number(head.headers.get('upload-offset'));
}
