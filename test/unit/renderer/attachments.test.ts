/** The renderer's attachment logic: admitting files, describing them, progress, words and the store's part. */
import { afterEach, describe, expect, it } from 'vitest';
import type { AttachmentView } from '../../../sync/app-api/contract.js';
import { TRANSFER_ERRORS } from '../../../sync/app-api/transfer-errors.js';
import { ATTACHMENT_LIMITS } from '../../../sync/protocol/attachments.js';
import { formatDuration, formatSize } from '../../../renderer/format/size.js';
import { en } from '../../../renderer/i18n/en.js';
import {
  admitFiles,
  describeProblem,
  draftName,
  prepareAttachment,
  prepareVoice,
} from '../../../renderer/state/attachment-draft.js';
import { describeRefusal, describeTransferError } from '../../../renderer/state/errors.js';
import { fitWithin, pickPreview } from '../../../renderer/state/image-size.js';
import { createAppStore, type AppStore } from '../../../renderer/state/store.js';
import { progressOf, transferKey } from '../../../renderer/state/transfers.js';
import { FileImportError, importFile } from '../../../renderer/transport/files.js';
import { connectedLink, FakeApi, message, settle, summary } from './fake-api.js';

const SHA = 'a'.repeat(64);
const MB = 1024 * 1024;

function file(name: string, size: number, type = 'application/octet-stream') {
  return { name, size, type };
}

function attachment(overrides: Partial<AttachmentView> = {}): AttachmentView {
  return {
    index: 0,
    name: 'report.pdf',
    sha256: SHA,
    size: 1000,
    mime: 'application/pdf',
    kind: 'file',
    width: null,
    height: null,
    preview: null,
    durationMs: null,
    localUrl: null,
    transfer: null,
    ...overrides,
  };
}

describe('admitting chosen files', () => {
  it('refuses a file over the limit by name and limit, and queues the rest', () => {
    const { admitted, problems } = admitFiles([file('big.iso', 5 * MB + 1), file('notes.txt', 10)], 5 * MB, 0);
    expect(admitted.map((f) => f.name)).toEqual(['notes.txt']);
    expect(problems).toEqual([{ kind: 'too_large', name: 'big.iso', limit: 5 * MB }]);
    const words = describeProblem(problems[0]!);
    expect(words).toContain('big.iso');
    expect(words).toContain('5 MB');
  });

  it('stops at the most files a message carries', () => {
    const many = Array.from({ length: 4 }, (_, i) => file(`f${i}.txt`, 1));
    const { admitted, problems } = admitFiles(many, MB, ATTACHMENT_LIMITS.maxPerMessage - 2);
    expect(admitted).toHaveLength(2);
    expect(problems).toEqual([{ kind: 'too_many', max: ATTACHMENT_LIMITS.maxPerMessage }]);
  });

  it('names files safely, and pasted images “Pasted image.<ext>”', () => {
    expect(draftName(file('../etc/passwd', 1))).toBe('_etc_passwd');
    expect(draftName(file('', 1, 'image/png'))).toBe('Pasted image.png');
    expect(draftName(file('', 1, 'image/jpeg'))).toBe('Pasted image.jpg');
    expect(draftName(file('', 1, ''))).toBe('Pasted image');
  });
});

describe('preparing an attachment', () => {
  const stored = (mime: string) => async () => ({ sha256: SHA, size: 3, mime });

  it('describes a decodable image with its size and preview', async () => {
    const input = await prepareAttachment(new Blob(['png']), 'cat.png', {
      importFile: stored('image/png'),
      describeImage: async () => ({ width: 640, height: 480, preview: 'data:image/jpeg;base64,AAAA' }),
    });
    expect(input).toEqual({
      sha256: SHA,
      name: 'cat.png',
      kind: 'image',
      width: 640,
      height: 480,
      preview: 'data:image/jpeg;base64,AAAA',
    });
  });

  it('sends anything else, and an image that does not decode, as a file', async () => {
    const neverDecoded = async () => {
      throw new Error('must not decode a non-image');
    };
    expect(
      await prepareAttachment(new Blob(['x']), 'a.svg', { importFile: stored('image/svg+xml'), describeImage: neverDecoded }),
    ).toEqual({ sha256: SHA, name: 'a.svg', kind: 'file' });
    expect(
      await prepareAttachment(new Blob(['x']), 'b.png', { importFile: stored('image/png'), describeImage: async () => null }),
    ).toEqual({ sha256: SHA, name: 'b.png', kind: 'file' });
  });

  it('makes a recording a voice message with its duration', async () => {
    const voice = await prepareVoice(new Blob(['opus'], { type: 'audio/webm;codecs=opus' }), 3456.7, {
      importFile: stored('audio/webm'),
    });
    expect(voice).toEqual({ sha256: SHA, name: 'Voice message.webm', kind: 'voice', durationMs: 3457 });
  });
});

describe('importing through the host', () => {
  it('posts the bytes to files and reads the stored file back', async () => {
    const seen: Array<[unknown, RequestInit | undefined]> = [];
    const fake = (async (url: unknown, init?: RequestInit) => {
      seen.push([url, init]);
      return new Response(JSON.stringify({ sha256: SHA, size: 3, mime: 'text/plain' }), { status: 201 });
    }) as typeof fetch;
    const body = new Blob(['abc']);
    expect(await importFile(body, fake)).toEqual({ sha256: SHA, size: 3, mime: 'text/plain' });
    expect(seen[0]?.[0]).toBe('files');
    expect(seen[0]?.[1]).toMatchObject({ method: 'POST', body });
  });

  it('turns refusals into their codes', async () => {
    const refusing = (async () => new Response(JSON.stringify({ code: 'disk_full' }), { status: 507 })) as typeof fetch;
    await expect(importFile(new Blob(['a']), refusing)).rejects.toEqual(new FileImportError('disk_full'));
    const broken = (async () => new Response('oops', { status: 500 })) as typeof fetch;
    await expect(importFile(new Blob(['a']), broken)).rejects.toMatchObject({ code: 'http_500' });
    const unreachable = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(importFile(new Blob(['a']), unreachable)).rejects.toMatchObject({ code: 'unreachable' });
    expect(describeProblem({ kind: 'import_failed', name: 'a.txt', code: 'disk_full' })).toContain('disk is full');
  });
});

describe('image previews', () => {
  it('fit the longer side without upscaling', () => {
    expect(fitWithin(4000, 3000, 32)).toEqual({ width: 32, height: 24 });
    expect(fitWithin(10, 2000, 320)).toEqual({ width: 2, height: 320 });
    expect(fitWithin(20, 10, 320)).toEqual({ width: 20, height: 10 });
  });

  it('take the first encoding that fits the limit, smaller or rougher ones after, or none', () => {
    const tried: string[] = [];
    const url = pickPreview((side, quality) => {
      tried.push(`${side}@${quality}`);
      const length = side * side * quality * 10;
      return `data:image/jpeg;base64,${'A'.repeat(length)}`;
    });
    expect(url!.length).toBeLessThanOrEqual(ATTACHMENT_LIMITS.maxPreviewChars);
    expect(tried[0]).toBe('32@0.7');
    expect(pickPreview(() => `data:image/jpeg;base64,${'A'.repeat(5000)}`)).toBeUndefined();
    // A browser without JPEG encoding hands back PNG: not sent.
    expect(pickPreview(() => 'data:image/png;base64,AAAA')).toBeUndefined();
  });
});

describe('words for sizes, durations and transfer failures', () => {
  it('formats sizes and m:ss durations', () => {
    expect(formatSize(1)).toBe('1 byte');
    expect(formatSize(1023)).toBe('1023 bytes');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(100 * MB)).toBe('100 MB');
    expect(formatSize(2 * 1024 * MB)).toBe('2 GB');
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65_400)).toBe('1:05');
    expect(formatDuration(3_600_000 + 61_000)).toBe('1:01:01');
  });

  it('has words for every transfer error and refusal', () => {
    for (const code of TRANSFER_ERRORS) expect(describeTransferError(code)).toBe(en.transferErrors[code]);
    expect(describeTransferError('quota_exceeded')).toBe(en.refusals.quota_exceeded);
    // Never anything else as it is: words for an error without a code.
    expect(describeTransferError('the server said no')).toBe(en.errors.refused);
    // A message that failed because its file could not be uploaded says why in the same words.
    expect(describeRefusal('file_unreadable')).toBe(en.transferErrors.file_unreadable);
    expect(describeRefusal('checksum_mismatch')).toBe(en.refusals.checksum_mismatch);
  });
});

describe('transfer progress', () => {
  it('shows the view’s figure, or a live one further along', () => {
    const moving = attachment({
      transfer: { direction: 'download', state: 'active', transferredBytes: 250, totalBytes: 1000, error: null },
    });
    expect(progressOf(attachment(), undefined)).toBeNull();
    expect(progressOf(moving, undefined)).toEqual({ direction: 'download', state: 'active', percent: 25, error: null });
    expect(progressOf(moving, { direction: 'download', transferredBytes: 600, totalBytes: 1000 })?.percent).toBe(60);
    expect(progressOf(moving, { direction: 'download', transferredBytes: 100, totalBytes: 1000 })?.percent).toBe(25);
    expect(progressOf(moving, { direction: 'upload', transferredBytes: 900, totalBytes: 1000 })?.percent).toBe(25);
  });
});

describe('the store and attachments', () => {
  const stores: AppStore[] = [];
  afterEach(() => stores.splice(0).forEach((store) => store.dispose()));

  async function openWith(api: FakeApi): Promise<AppStore> {
    api.conversations = [summary({ id: 'c1' })];
    const store = createAppStore(api.client(), connectedLink);
    stores.push(store);
    await settle();
    store.getState().actions.openConversation('c1');
    await settle();
    return store;
  }

  it('sends a caption with attachments, and asks for downloads', async () => {
    const api = new FakeApi();
    const store = await openWith(api);
    const files = [{ sha256: SHA, name: 'report.pdf', kind: 'file' as const }];
    await store.getState().actions.send('', undefined, files);
    expect(api.callsOf('sendMessage')).toEqual([{ conversationId: 'c1', text: '', attachments: files }]);
    await store.getState().actions.send('plain');
    expect(api.callsOf('sendMessage')[1]).toEqual({ conversationId: 'c1', text: 'plain' });
    await store.getState().actions.downloadAttachment('m1', 2);
    expect(api.callsOf('downloadAttachment')).toEqual([{ conversationId: 'c1', messageId: 'm1', index: 2 }]);
    expect(await store.getState().actions.getAttachmentLimits()).toEqual({ maxFileBytes: api.maxFileBytes });
  });

  it('keeps live progress for the open conversation and forgets it once the transfer is over', async () => {
    const api = new FakeApi();
    const downloading = attachment({
      transfer: { direction: 'download', state: 'active', transferredBytes: 0, totalBytes: 1000, error: null },
    });
    api.pages.set('c1', {
      messages: [message({ id: 'm1', attachments: [downloading] })],
      notices: [],
      hasOlder: false,
      hasNewer: false,
      readSeq: 0,
      firstUnreadSeq: null,
    });
    const store = await openWith(api);
    const progress = { type: 'transfer' as const, messageId: 'm1', index: 0, direction: 'download' as const, totalBytes: 1000 };
    api.emit({ ...progress, conversationId: 'c1', transferredBytes: 400 });
    api.emit({ ...progress, conversationId: 'other', transferredBytes: 999 });
    expect(store.getState().transfers.get(transferKey('m1', 0))).toEqual({
      direction: 'download',
      transferredBytes: 400,
      totalBytes: 1000,
    });
    expect(store.getState().transfers.size).toBe(1);

    api.pages.set('c1', {
      messages: [message({ id: 'm1', attachments: [{ ...downloading, transfer: null, localUrl: `files/${SHA}` }] })],
      notices: [],
      hasOlder: false,
      hasNewer: false,
      readSeq: 0,
      firstUnreadSeq: null,
    });
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(store.getState().transfers.size).toBe(0);
  });
});
