import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ATTACHMENT_LIMITS } from '../../../sync/protocol/attachments.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { ATTACHMENTS_DIR } from '../../../sync/server/attachments/attachment-files.js';
import { createServerHarness, messagesIn } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import {
  attachmentOf,
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

describeEachStore('attachments: upload, send, download', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('a file uploaded with tus, sent in a message and downloaded by the other member arrives byte for byte', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 3 * 1024 * 1024 + 17);

    const id = await uploadFile(server.httpUrl, alice.token, file);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const attachment = attachmentOf(id, file, 'quarterly report.pdf');
    const event = await sendAttachments(aliceSocket, conversation.id, 'm1', [attachment], 'the report');
    expect(event).toMatchObject({ kind: 'message', seq: 1, text: 'the report', attachments: [attachment] });

    // Live to the other member, and the same from catch-up.
    expect((await bobSocket.waitForPush('event')).event).toEqual(event);
    expect(messagesIn(await bobSocket.allEvents(conversation.id))).toEqual([event]);

    const got = await download(server.httpUrl, id, bearer(bob.token));
    expect(got.status).toBe(200);
    expect(got.bytes.length).toBe(file.size);
    expect(sha256Of(got.bytes)).toBe(file.sha256);
    expect(got.bytes.equals(file.bytes)).toBe(true);
    // Stored as <data>/attachments/<id> (and tus's <id>.json), nothing else.
    expect((await readdir(join(server.dataDir, ATTACHMENTS_DIR))).sort()).toEqual([id, `${id}.json`]);
  });

  it('a message may be only attachments (empty caption), several of them, in order; a resend answers the same event', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    const dir = await h.tempDir();
    const files = [await testFile(dir, 10), await testFile(dir, 2000), await testFile(dir, 1)];
    const attachments = [];
    for (const [i, file] of files.entries()) {
      attachments.push(attachmentOf(await uploadFile(server.httpUrl, alice.token, file), file, `f${i}.bin`));
    }
    const event = await sendAttachments(aliceSocket, conversation.id, 'm1', attachments);
    expect(event.text).toBe('');
    expect(event.attachments.map((a) => a.name)).toEqual(['f0.bin', 'f1.bin', 'f2.bin']);
    expect(await sendAttachments(aliceSocket, conversation.id, 'm1', attachments)).toEqual(event);
    // An image keeps its size and preview; a voice message its duration.
    const image = await testFile(dir, 64);
    const voice = await testFile(dir, 96);
    const more = [
      {
        ...attachmentOf(await uploadFile(server.httpUrl, alice.token, image), image, 'cat.png'),
        kind: 'image' as const,
        mime: 'image/png',
        width: 640,
        height: 480,
        preview: 'data:image/webp;base64,UklGRg==',
      },
      {
        ...attachmentOf(await uploadFile(server.httpUrl, alice.token, voice), voice, 'voice.webm'),
        kind: 'voice' as const,
        mime: 'audio/webm',
        durationMs: 4200,
      },
    ];
    const second = await sendAttachments(aliceSocket, conversation.id, 'm2', more, 'look');
    expect(second.attachments).toEqual(more);
    expect(messagesIn(await aliceSocket.allEvents(conversation.id)).map((m) => m.attachments)).toEqual([attachments, more]);
  });

  it('refuses a send whose attachment is not a finished upload of the sender with that SHA-256 and size: attachment_missing, nothing stored', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const dir = await h.tempDir();
    const file = await testFile(dir, 5000);
    const mine = await uploadFile(server.httpUrl, alice.token, file);
    const bobs = await uploadFile(server.httpUrl, bob.token, file);
    // Created, never finished.
    const created = await createUpload(server.httpUrl, bearer(alice.token), { length: file.size, sha256: file.sha256 });
    expect(created.status).toBe(201);
    const unfinished = uploadIdOf(created.headers.get('location')!);

    const cases = {
      'an id nobody uploaded': attachmentOf('0'.repeat(32), file),
      'someone else’s upload': attachmentOf(bobs, file),
      'an upload not finished yet': attachmentOf(unfinished, file),
      'another SHA-256': { ...attachmentOf(mine, file), sha256: sha256Of(Buffer.from('other')) },
      'another size': { ...attachmentOf(mine, file), size: file.size + 1 },
    };
    for (const [what, attachment] of Object.entries(cases)) {
      const reply = await sendWithAttachments(aliceSocket, conversation.id, `m-${what}`, [attachmentOf(mine, file), attachment]);
      expect(reply, what).toMatchObject({ type: 'error', ...REFUSALS.attachment_missing });
    }
    // Nothing was stored or numbered: the next message is seq 1, and Bob heard of nothing else.
    expect((await sendAttachments(aliceSocket, conversation.id, 'ok', [attachmentOf(mine, file)])).seq).toBe(1);
    await bobSocket.barrier();
    expect(bobSocket.pushesOf('event').map((p) => p.event.seq)).toEqual([1]);
  });

  it('a delete for everyone empties the message’s attachments and ends every download of them but its uploader’s', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    const file = await testFile(await h.tempDir(), 1234);
    const id = await uploadFile(server.httpUrl, alice.token, file);
    await sendAttachments(aliceSocket, conversation.id, 'm1', [attachmentOf(id, file)], 'caption');
    expect((await download(server.httpUrl, id, bearer(bob.token))).status).toBe(200);

    await aliceSocket.change(conversation.id, 'd1', { kind: 'delete', messageId: 'm1' });
    const [message] = messagesIn(await bobSocket.allEvents(conversation.id));
    expect(message).toMatchObject({ deleted: true, text: '', attachments: [] });
    expect((await download(server.httpUrl, id, bearer(bob.token))).status).toBe(404);
    // Referred to by nothing now, it is the uploader's own upload (as a history export is) until it is collected.
    expect((await download(server.httpUrl, id, bearer(alice.token))).status).toBe(200);
    // A resend of the original answers the message as it is now.
    expect(await sendAttachments(aliceSocket, conversation.id, 'm1', [attachmentOf(id, file)], 'caption')).toMatchObject({
      seq: 1,
      attachments: [],
    });
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
    await sendAttachments(aliceSocket, conversation.id, 'm1', [attachmentOf(id, file)]);

    const second = await h.restart(first);
    const got = await download(second.httpUrl, id, bearer(bob.token));
    expect(got.bytes.equals(file.bytes)).toBe(true);
    // The unsent upload can still be sent after the restart.
    const socket = await h.connect(second, alice.token);
    expect((await sendAttachments(socket, conversation.id, 'm2', [attachmentOf(unsent, file)])).seq).toBe(2);
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
