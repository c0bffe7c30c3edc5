import { readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ATTACHMENTS_PATH } from '../../../sync/protocol/attachments.js';
import { ATTACHMENTS_DIR } from '../../../sync/server/attachments/attachment-files.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, groupChange, groupOf, logIn, people } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import { bearer, download, sendAttachments, testFile, uploadFile, type TestFile } from './attachment-support.js';

const notFound = { code: 'not_found', message: 'No such attachment' };

/** Polls until `condition` holds; never a fixed sleep. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeEachStore('attachment downloads: who may', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('serves members of a conversation whose envelope refers to it; strangers, and ids nobody uploaded, get the same 404', async () => {
    const server = await h.startServer();
    const { alice, bob, mallory } = await people(h, server, 'alice', 'bob', 'mallory');
    const { id: groupId } = await groupOf(alice, [bob]);
    const file = await testFile(await h.tempDir(), 2048);
    const id = await uploadFile(server.httpUrl, alice.account.token, file);

    // Uploaded, referred to by nothing yet: only the uploader's account downloads it (a history export for its new device).
    expect((await download(server.httpUrl, id, bearer(alice.account.token))).status).toBe(200);
    expect((await download(server.httpUrl, id, bearer(bob.account.token))).status).toBe(404);
    await sendAttachments(alice.socket, groupId, 'm1', [id]);

    for (const who of [alice, bob]) {
      const got = await download(server.httpUrl, id, bearer(who.account.token));
      expect(got.status).toBe(200);
      expect(got.bytes.equals(file.bytes)).toBe(true);
    }
    const stranger = await fetch(`${server.httpUrl}${ATTACHMENTS_PATH}/${id}`, { headers: bearer(mallory.account.token) });
    const nobody = await fetch(`${server.httpUrl}${ATTACHMENTS_PATH}/${'0'.repeat(32)}`, {
      headers: bearer(mallory.account.token),
    });
    const malformed = await fetch(`${server.httpUrl}${ATTACHMENTS_PATH}/not-an-id`, { headers: bearer(mallory.account.token) });
    const below = await fetch(`${server.httpUrl}${ATTACHMENTS_PATH}/${id}/x`, { headers: bearer(alice.account.token) });
    for (const answer of [stranger, nobody, malformed, below]) {
      expect(answer.status).toBe(404);
      expect(await answer.json()).toEqual(notFound);
    }
  });

  it('serves an upload nothing refers to to every device of its account and to no other account', async () => {
    const server = await h.startServer();
    const { alice, mallory } = await people(h, server, 'alice', 'mallory');
    const laptopLogIn = await logIn(server.httpUrl, 'alice', DEFAULT_TEST_PASSWORD);
    const laptopToken = (laptopLogIn.body as { token: string }).token;
    expect(laptopToken).not.toBe(alice.account.token);
    const file = await testFile(await h.tempDir(), 4096);
    const id = await uploadFile(server.httpUrl, alice.account.token, file);

    const fromLaptop = await download(server.httpUrl, id, bearer(laptopToken));
    expect(fromLaptop.status).toBe(200);
    expect(fromLaptop.bytes.equals(file.bytes)).toBe(true);
    const stranger = await fetch(`${server.httpUrl}${ATTACHMENTS_PATH}/${id}`, { headers: bearer(mallory.account.token) });
    expect(stranger.status).toBe(404);
    expect(await stranger.json()).toEqual(notFound);
  });

  it('needs the bearer token (401 with WWW-Authenticate) and answers only GET and HEAD', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 10);
    const id = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);
    for (const headers of [{}, bearer('0'.repeat(64))]) {
      const answer = await download(server.httpUrl, id, headers);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    const post = await fetch(`${server.httpUrl}${ATTACHMENTS_PATH}/${id}`, { method: 'POST', headers: bearer(alice.token) });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('only current members download, and only what they can read: a removed member loses access, a late joiner gets nothing from before they joined', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const { id: groupId } = await groupOf(alice, [bob]);
    const dir = await h.tempDir();
    const upload = async (file: TestFile) => uploadFile(server.httpUrl, alice.account.token, file);
    const [early, middle, late] = [await testFile(dir, 100), await testFile(dir, 200), await testFile(dir, 300)];
    const [earlyId, middleId, lateId] = [await upload(early), await upload(middle), await upload(late)];

    await sendAttachments(alice.socket, groupId, 'early', [earlyId]);
    await groupChange(alice.socket, groupId, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] });
    await sendAttachments(alice.socket, groupId, 'middle', [middleId]);
    const status = async (who: typeof alice, id: string) =>
      (await download(server.httpUrl, id, bearer(who.account.token))).status;
    expect([await status(bob, earlyId), await status(bob, middleId)]).toEqual([200, 200]);
    await groupChange(alice.socket, groupId, 'remove-bob', { kind: 'remove_member', userId: bob.user.id });
    await sendAttachments(alice.socket, groupId, 'late', [lateId]);

    expect([await status(bob, earlyId), await status(bob, middleId), await status(bob, lateId)]).toEqual([404, 404, 404]);
    expect([await status(carol, earlyId), await status(carol, middleId), await status(carol, lateId)]).toEqual([404, 200, 200]);

    // The same file referred to again after Carol joined is hers through the new envelope.
    await sendAttachments(alice.socket, groupId, 'again', [earlyId]);
    expect(await status(carol, earlyId)).toBe(200);
  });

  it('an envelope deleted for everyone takes its attachments with it (404 for everyone but the uploader’s account, until collected)', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 10);
    const id = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);
    await aliceSocket.send(conversation.id, 'd1', 'deleted', { deletes: 'm1' });
    const answer = await download(server.httpUrl, id, bearer(bob.token));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.bytes.toString('utf8'))).toEqual(notFound);
    // Nothing refers to it now: it is the uploader's own unreferenced upload, removed by collection.
    expect((await download(server.httpUrl, id, bearer(alice.token))).status).toBe(200);
  });
});

describeEachStore('attachment downloads: how', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('serves an opaque download: octet-stream, attachment, nosniff, the SHA-256 as ETag, private no-store', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    // The server never learns what a file is (its name and type are sealed): whatever the bytes,
    // they must never be served as something a browser renders.
    const file = await testFile(await h.tempDir(), 64);
    const id = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);

    for (const method of ['GET', 'HEAD'] as const) {
      const answer = await download(server.httpUrl, id, bearer(bob.token), method);
      expect(answer.status).toBe(200);
      expect(Object.fromEntries(answer.headers)).toMatchObject({
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment',
        'x-content-type-options': 'nosniff',
        etag: `"${file.sha256}"`,
        'accept-ranges': 'bytes',
        'cache-control': 'private, no-store',
        'content-length': String(file.size),
      });
      expect(answer.bytes.length).toBe(method === 'GET' ? file.size : 0);
    }
  });

  it('answers one byte range with 206 and Content-Range, an unsatisfiable one with 416, several ranges with the whole file', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 1000);
    const id = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);
    const get = (range: string) => download(server.httpUrl, id, { ...bearer(bob.token), range });

    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=500-', 500, 999],
      ['bytes=-10', 990, 999],
      ['bytes=900-5000', 900, 999],
      ['bytes=999-999', 999, 999],
      ['bytes=-5000', 0, 999],
    ];
    for (const [range, start, end] of cases) {
      const answer = await get(range);
      expect(answer.status, range).toBe(206);
      expect(answer.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/1000`);
      expect(answer.headers.get('content-length'), range).toBe(String(end - start + 1));
      expect(answer.bytes.equals(file.bytes.subarray(start, end + 1)), range).toBe(true);
    }
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const answer = await get(range);
      expect(answer.status, range).toBe(416);
      expect(answer.headers.get('content-range')).toBe('bytes */1000');
      expect(answer.bytes.length).toBe(0);
    }
    for (const range of ['bytes=0-1,5-6', 'bytes=5-3', 'items=0-1', 'bytes=abc']) {
      const answer = await get(range);
      expect(answer.status, range).toBe(200);
      expect(answer.bytes.equals(file.bytes)).toBe(true);
    }
    // A download cut mid-way resumes from where it stopped.
    const head = (await get('bytes=0-399')).bytes;
    const rest = (await get('bytes=400-')).bytes;
    expect(Buffer.concat([head, rest]).equals(file.bytes)).toBe(true);
  });

  it('serves a file many reads long whole, and ranges that start and end inside a read', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const MiB = 1024 * 1024;
    const size = 3 * MiB + 123;
    const file = await testFile(await h.tempDir(), size);
    const id = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);

    expect((await download(server.httpUrl, id, bearer(bob.token))).bytes.equals(file.bytes)).toBe(true);
    const cases: Array<[number, number]> = [
      [MiB - 5, 2 * MiB + 6],
      [MiB + 17, size - 1],
      [2 * MiB, 2 * MiB],
    ];
    for (const [start, end] of cases) {
      const answer = await download(server.httpUrl, id, { ...bearer(bob.token), range: `bytes=${start}-${end}` });
      expect(answer.status).toBe(206);
      expect(answer.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(answer.bytes.equals(file.bytes.subarray(start, end + 1))).toBe(true);
    }
  });

  it('closes the file when a client goes away mid-download: no file handle is left open', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 16 * 1024 * 1024);
    const id = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);
    // The server runs in this process: its open files are ours to count.
    const path = join(server.dataDir, ATTACHMENTS_DIR, id);
    const handlesOnFile = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false; // closed meanwhile
        }
      }).length;

    for (let i = 0; i < 5; i += 1) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${server.httpUrl}${ATTACHMENTS_PATH}/${id}`, { headers: bearer(bob.token) }, (res) => {
          expect(res.statusCode).toBe(200);
          // Read one chunk, then vanish without reading the rest.
          res.once('data', () => {
            expect(handlesOnFile()).toBeGreaterThan(0);
            req.destroy();
            resolve();
          });
        });
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        req.end();
      });
    }
    await until(() => handlesOnFile() === 0, 'the server to close the files of abandoned downloads');
    // And it still serves the file whole afterwards.
    expect((await download(server.httpUrl, id, bearer(bob.token))).bytes.equals(file.bytes)).toBe(true);
  });
});
