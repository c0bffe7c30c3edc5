import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError, fileUrl } from '../../../sync/app-api/contract.js';
import { BlobStore } from '../../../sync/client/attachments/blob-store.js';
import { sealedSizeOf } from '../../../sync/client/attachments/sealed-file.js';
import { memoryFileKeys } from '../../support/file-keys.js';
import { composeAttachments, contentType } from '../../../sync/client/attachments/compose-attachments.js';
import { Composer } from '../../../sync/client/composer.js';
import type { ComposedAttachment } from '../../../sync/client/mirror/attachments.js';
import type { Mirror } from '../../../sync/client/mirror/mirror.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import type { Attachment } from '../../../sync/protocol/attachments.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';
import { createTestMirrors } from '../../support/test-mirror.js';

const mirrors = createTestMirrors();
const dirs: string[] = [];
afterEach(() => {
  mirrors.cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const PREVIEW = `data:image/png;base64,${PNG.toString('base64')}`;

function blobStore(): BlobStore {
  const dir = mkdtempSync(join(tmpdir(), 'attachments-test-'));
  dirs.push(dir);
  return new BlobStore(dir, memoryFileKeys());
}

const put = (blobs: BlobStore, bytes: Buffer | string) => blobs.put(Readable.from([Buffer.from(bytes)]), 1_000_000);

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppApiError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('composing attachments', () => {
  it('takes size and type from the stored bytes, and the kind only where the bytes bear it out', async () => {
    const blobs = blobStore();
    const png = await put(blobs, PNG);
    const text = await put(blobs, 'plain words, whatever the name says');
    const composed = await composeAttachments(
      blobs,
      [
        { sha256: png.sha256, name: 'dot.png', kind: 'image', width: 1, height: 1, preview: PREVIEW },
        { sha256: text.sha256, name: 'not-an-image.png', kind: 'image', width: 10, height: 10, preview: PREVIEW },
        { sha256: png.sha256, name: 'no-size.png', kind: 'image', preview: 'data:text/html;base64,PGI+' },
        { sha256: text.sha256, name: 'fake.ogg', kind: 'voice', durationMs: 1000 },
      ],
      1_000_000,
    );
    // Declared as the sealed file that is uploaded: its size on disk and its key.
    const sealed = async (sha256: string) => {
      const blob = (await blobs.sealedBlob(sha256))!;
      return { size: blob.size, key: blob.key.toString('base64') };
    };
    const sealedPng = await sealed(png.sha256);
    const sealedText = await sealed(text.sha256);
    expect(sealedPng.size).toBe(sealedSizeOf(PNG.length));
    expect(composed).toEqual([
      {
        sha256: png.sha256,
        ...sealedPng,
        name: 'dot.png',
        mime: 'image/png',
        kind: 'image',
        width: 1,
        height: 1,
        preview: PREVIEW,
      },
      { sha256: text.sha256, ...sealedText, name: 'not-an-image.png', mime: 'application/octet-stream', kind: 'file' },
      { sha256: png.sha256, ...sealedPng, name: 'no-size.png', mime: 'image/png', kind: 'file' },
      { sha256: text.sha256, ...sealedText, name: 'fake.ogg', mime: 'application/octet-stream', kind: 'file' },
    ]);
  });

  it('drops a preview that is not the protocol’s tiny image data: URL', async () => {
    const blobs = blobStore();
    const png = await put(blobs, PNG);
    const [image] = await composeAttachments(
      blobs,
      [
        {
          sha256: png.sha256,
          name: 'dot.png',
          kind: 'image',
          width: 1,
          height: 1,
          preview: 'data:image/svg+xml;base64,PHN2Zz4=',
        },
      ],
      1_000_000,
    );
    expect(image).not.toHaveProperty('preview');
  });

  it('declares recordings by their container: parameters dropped, audio-only WebM as audio', () => {
    expect(contentType('audio/ogg; codecs=opus', 'voice')).toBe('audio/ogg');
    expect(contentType('video/webm', 'voice')).toBe('audio/webm');
    expect(contentType('video/webm', 'file')).toBe('video/webm');
    expect(contentType('not a type', 'file')).toBe('application/octet-stream');
  });

  it('refuses a file over the limit, an empty one, and one that is not in the store, before anything is queued', async () => {
    const blobs = blobStore();
    const big = await put(blobs, Buffer.alloc(2000, 1));
    expect(await refusal(composeAttachments(blobs, [{ sha256: big.sha256, name: 'big.bin', kind: 'file' }], 1999))).toEqual({
      code: 'refused',
      message: 'file_too_large',
    });
    const emptySha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    writeFileSync(blobs.pathOf(emptySha), '');
    expect(await refusal(composeAttachments(blobs, [{ sha256: emptySha, name: 'empty', kind: 'file' }], 1999))).toEqual({
      code: 'refused',
      message: 'empty_file',
    });
    const missing = await refusal(composeAttachments(blobs, [{ sha256: 'a'.repeat(64), name: 'gone.txt', kind: 'file' }], 1999));
    expect(missing.code).toBe('not_found');
  });
});

const FILE: ComposedAttachment = { sha256: 'b'.repeat(64), size: 5, name: 'notes.txt', mime: 'text/plain', kind: 'file' };
const IMAGE: ComposedAttachment = {
  sha256: 'c'.repeat(64),
  size: 7,
  name: 'dot.png',
  mime: 'image/png',
  kind: 'image',
  width: 1,
  height: 1,
};
const uploaded = (attachment: ComposedAttachment, id: string): Attachment => ({ ...attachment, id });

function setUp(): { mirror: Mirror; composer: Composer } {
  const mirror = mirrors.open();
  return { mirror, composer: new Composer(mirror, realRuntime(), 'me', () => false) };
}

const received = (seq: number, id: string, attachments: Attachment[], deleted = false): AppliedEvent => ({
  kind: 'message',
  conversationId: 'c1',
  seq,
  senderId: 'ann',
  sentAt: 1000 + seq,
  clientMessageId: id,
  text: '',
  replyTo: null,
  deleted,
  attachments,
});

describe('attachments in the mirror', () => {
  it('an own message holds its files locally from compose on, and waits to be sent until every upload is done', () => {
    const { mirror, composer } = setUp();
    const messageId = composer.send('c1', '', null, [FILE, IMAGE]);
    const view = () => mirror.views.messageView('c1', messageId, 'me');
    expect(view()?.attachments).toEqual([
      expect.objectContaining({
        index: 0,
        name: 'notes.txt',
        localUrl: fileUrl(FILE.sha256),
        transfer: { direction: 'upload', state: 'queued', transferredBytes: 0, totalBytes: 5, error: null },
      }),
      expect.objectContaining({ index: 1, kind: 'image', width: 1, height: 1, localUrl: fileUrl(IMAGE.sha256) }),
    ]);
    expect(mirror.attachments.pendingUploads().map((job) => job.index)).toEqual([0, 1]);
    expect(mirror.attachments.forSend('c1', messageId)).toBeNull();
    expect(mirror.views.conversationSummaries('me')[0]?.lastMessage).toMatchObject({
      text: '',
      attachment: { kind: 'file', name: 'notes.txt' },
    });

    const first = { conversationId: 'c1', messageId, index: 0 };
    const url = `http://127.0.0.1:1/v1/uploads/${'1'.repeat(32)}`;
    expect(mirror.attachments.setUploadUrl(first, url)).toBe(true);
    expect(mirror.attachments.setUploadOffset(first, 3)).toBe(true);
    expect(mirror.attachments.pendingUploads()[0]).toMatchObject({
      uploadOffset: 3,
      uploadUrl: url,
    });
    mirror.attachments.uploadDone(first, '1'.repeat(32));
    expect(mirror.attachments.forSend('c1', messageId)).toBeNull();
    mirror.attachments.uploadDone({ ...first, index: 1 }, '2'.repeat(32));
    expect(mirror.attachments.forSend('c1', messageId)).toEqual([
      uploaded(FILE, '1'.repeat(32)),
      uploaded(IMAGE, '2'.repeat(32)),
    ]);
    expect(view()?.attachments.map((attachment) => attachment.transfer)).toEqual([null, null]);
  });

  it('withdrawing an unsent message drops its files; an upload still under way learns it at its next chunk', () => {
    const { mirror, composer } = setUp();
    const messageId = composer.send('c1', 'with a file', null, [FILE]);
    composer.delete('c1', messageId);
    expect(mirror.attachments.pendingUploads()).toEqual([]);
    expect(mirror.attachments.setUploadOffset({ conversationId: 'c1', messageId, index: 0 }, 5)).toBe(false);
    expect(mirror.attachments.refersTo(FILE.sha256)).toBe(false);
  });

  it('a refused upload fails the message; a retry starts the refused upload again and keeps the finished ones', () => {
    const { mirror, composer } = setUp();
    const messageId = composer.send('c1', '', null, [FILE, IMAGE]);
    mirror.attachments.uploadDone({ conversationId: 'c1', messageId, index: 0 }, '1'.repeat(32));
    mirror.attachments.uploadFailed({ conversationId: 'c1', messageId, index: 1 }, 'quota_exceeded');
    mirror.failSend('c1', messageId, 'quota_exceeded');
    expect(mirror.views.messageView('c1', messageId, 'me')).toMatchObject({
      status: 'failed',
      error: 'quota_exceeded',
      attachments: [{ transfer: null }, { transfer: { direction: 'upload', state: 'failed', error: 'quota_exceeded' } }],
    });
    expect(mirror.outbox.nextEntries()).toEqual([]);
    expect(mirror.retryFailedSend(messageId, 'me')).toBe('c1');
    expect(mirror.attachments.pendingUploads().map((job) => [job.index, job.uploadUrl])).toEqual([[1, null]]);
  });

  it('received images are queued for download by themselves, other files wait to be asked for', () => {
    const { mirror } = setUp();
    mirror.applyEvents('c1', [received(1, 'm1', [uploaded(FILE, '1'.repeat(32)), uploaded(IMAGE, '2'.repeat(32))])], 'me');
    expect(mirror.attachments.queuedDownloads()).toEqual([
      { conversationId: 'c1', messageId: 'm1', index: 1, attachmentId: '2'.repeat(32), sha256: IMAGE.sha256, size: 7, key: null },
    ]);
    const [file, image] = mirror.views.messageView('c1', 'm1', 'me')?.attachments ?? [];
    expect(file).toMatchObject({ localUrl: null, transfer: null });
    expect(image).toMatchObject({ localUrl: null, transfer: { direction: 'download', state: 'queued' } });
    expect(mirror.attachments.requestDownload({ conversationId: 'c1', messageId: 'm1', index: 0 })).toBe(true);
    expect(mirror.attachments.queuedDownloads().map((job) => job.index)).toEqual([0, 1]);
    mirror.attachments.setDownloadState({ conversationId: 'c1', messageId: 'm1', index: 1 }, 'done');
    expect(mirror.views.messageView('c1', 'm1', 'me')?.attachments[1]).toMatchObject({
      localUrl: fileUrl(IMAGE.sha256),
      transfer: null,
    });
    expect(mirror.attachments.requestDownload({ conversationId: 'c1', messageId: 'm1', index: 5 })).toBe(false);
  });

  it('a delete for everyone clears the files, and a late copy of the message does not bring them back', () => {
    const { mirror } = setUp();
    const message = received(1, 'm1', [uploaded(IMAGE, '2'.repeat(32))]);
    mirror.applyEvents('c1', [message], 'me');
    mirror.applyEvents(
      'c1',
      [{ kind: 'delete', conversationId: 'c1', seq: 2, senderId: 'ann', sentAt: 1002, clientChangeId: 'd1', messageId: 'm1' }],
      'me',
    );
    expect(mirror.views.messageView('c1', 'm1', 'me')).toMatchObject({ deleted: true, attachments: [] });
    expect(mirror.attachments.queuedDownloads()).toEqual([]);
    mirror.acknowledge(message, 'me');
    expect(mirror.attachments.refersTo(IMAGE.sha256)).toBe(false);
    expect(mirror.attachments.wantedPartials().size).toBe(0);
  });
});
