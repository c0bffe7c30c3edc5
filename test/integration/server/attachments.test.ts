/**
 * Files end to end at the server: uploaded with tus, referred to by envelopes (by upload id: what
 * each file is, name and type and key, is sealed content), downloaded by the conversation's
 * members; what an envelope may refer to; the file limit every socket is told; all of it kept
 * across a restart.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ATTACHMENT_LIMITS } from '../../../sync/protocol/attachments.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { ATTACHMENTS_DIR } from '../../../sync/server/attachments/attachment-files.js';
import { createServerHarness, envelopesIn, testOpened } from '../../support/server-harness.js';
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
} from './attachment-support.js';

describeEachStore('attachments: upload, refer to, download', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('a file uploaded with tus, referred to by an envelope and downloaded by the other member arrives byte for byte', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 3 * 1024 * 1024 + 17);

    const id = await uploadFile(server.httpUrl, alice.token, file);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const event = await sendAttachments(aliceSocket, conversation.id, 'm1', [id], 'the report');
    expect(event).toMatchObject({ kind: 'envelope', seq: 1, attachments: [id] });
    expect(testOpened(event)).toBe('the report');

    // Live to the other member, and the same from catch-up.
    expect((await bobSocket.waitForPush('event')).event).toEqual(event);
    expect(envelopesIn(await bobSocket.allEvents(conversation.id))).toEqual([event]);

    const got = await download(server.httpUrl, id, bearer(bob.token));
    expect(got.status).toBe(200);
    expect(got.bytes.length).toBe(file.size);
    expect(sha256Of(got.bytes)).toBe(file.sha256);
    expect(got.bytes.equals(file.bytes)).toBe(true);
    // Stored as <data>/attachments/<id> (and tus's <id>.json), nothing else.
    expect((await readdir(join(server.dataDir, ATTACHMENTS_DIR))).sort()).toEqual([id, `${id}.json`]);
  });

  it(`an envelope refers to up to ${ATTACHMENT_LIMITS.maxPerMessage} uploads, in the order it names them; a resend answers the same event`, async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    const dir = await h.tempDir();
    const ids = [];
    for (const size of [10, 2000, 1]) ids.push(await uploadFile(server.httpUrl, alice.token, await testFile(dir, size)));
    const event = await sendAttachments(aliceSocket, conversation.id, 'm1', ids);
    expect(event.attachments).toEqual(ids);
    expect(await sendAttachments(aliceSocket, conversation.id, 'm1', ids)).toEqual(event);
    const reversed = [...ids].reverse();
    expect((await sendAttachments(aliceSocket, conversation.id, 'm2', reversed)).attachments).toEqual(reversed);

    // One more than an envelope may name is a malformed frame, whatever the ids are.
    const tooMany = Array.from({ length: ATTACHMENT_LIMITS.maxPerMessage + 1 }, (_, i) => i.toString(16).padStart(32, '0'));
    expect(await sendWithAttachments(aliceSocket, conversation.id, 'm3', tooMany)).toMatchObject({
      type: 'error',
      code: 'bad_frame',
    });
    expect(envelopesIn(await aliceSocket.allEvents(conversation.id)).map((e) => e.attachments)).toEqual([ids, reversed]);
  });

  it('refuses an envelope whose upload is not a finished one of the sender’s or one they may download: attachment_missing, nothing stored', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 5000);
    const mine = await uploadFile(server.httpUrl, alice.token, file);
    // Bob's, referred to by nothing: only his to download.
    const bobs = await uploadFile(server.httpUrl, bob.token, file);
    // Created, never finished.
    const created = await createUpload(server.httpUrl, bearer(alice.token), { length: file.size, sha256: file.sha256 });
    expect(created.status).toBe(201);
    const unfinished = uploadIdOf(created.headers.get('location')!);

    const cases = {
      'an id nobody uploaded': '0'.repeat(32),
      'someone else’s upload': bobs,
      'an upload not finished yet': unfinished,
    };
    for (const [what, id] of Object.entries(cases)) {
      const reply = await sendWithAttachments(aliceSocket, conversation.id, `m-${id}`, [mine, id]);
      expect(reply, what).toMatchObject({ type: 'error', ...REFUSALS.attachment_missing });
    }
    // Nothing was stored or numbered: the next envelope is seq 1, and Bob heard of nothing else.
    expect((await sendAttachments(aliceSocket, conversation.id, 'ok', [mine])).seq).toBe(1);
    await bobSocket.barrier();
    expect(bobSocket.pushesOf('event').map((p) => p.event.seq)).toEqual([1]);
  });

  it('tells every socket the server’s own file limit in its welcome', async () => {
    const server = await h.startServer({ maxFileBytes: 5 * 1024 * 1024 });
    const account = await h.createAccount(server);
    const socket = await h.connect(server, account.token);
    expect((await socket.waitForPush('welcome')).limits).toEqual({ maxFileBytes: 5 * 1024 * 1024 });

    const byDefault = await h.startServer();
    const other = await h.createAccount(byDefault);
    const welcome = await (await h.connect(byDefault, other.token)).waitForPush('welcome');
    expect(welcome.limits).toEqual({ maxFileBytes: ATTACHMENT_LIMITS.defaultMaxFileBytes });
  });

  it('keeps uploads and references across a restart', async () => {
    const first = await h.startServer();
    const { alice, bob, aliceSocket, conversation } = await h.pair(first);
    const file = await testFile(await h.tempDir(), 4321);
    const id = await uploadFile(first.httpUrl, alice.token, file);
    const unsent = await uploadFile(first.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [id]);

    const second = await h.restart(first);
    const got = await download(second.httpUrl, id, bearer(bob.token));
    expect(got.bytes.equals(file.bytes)).toBe(true);
    // The unsent upload can still be sent after the restart.
    const socket = await h.connect(second, alice.token);
    expect((await sendAttachments(socket, conversation.id, 'm2', [unsent])).seq).toBe(2);
  });

  it('a tus upload through tus-js-client of exactly one byte works (smallest file)', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server);
    const file = await testFile(await h.tempDir(), 1);
    const { failure, url } = await startTusUpload(server.httpUrl, account.token, file).result;
    expect(failure).toBeNull();
    expect(url).toMatch(/\/v1\/uploads\/[0-9a-f]{32}$/);
  });
});
