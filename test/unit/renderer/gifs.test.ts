/**
 * The GIFs tab's side of the renderer (issue 33): a chosen GIF is stored by the core and sent as an
 * image named by its title, answering the reply being written; refusals become the tab's words; a
 * GIF in a message is marked and can be paused; the list calls it "GIF".
 */
import { describe, expect, it } from 'vitest';
import { AppApiError, type AttachmentView } from '../../../sync/app-api/contract.js';
import { GIFS_NOT_CONFIGURED } from '../../../sync/app-api/gifs-api.js';
import { ATTACHMENT_LIMITS } from '../../../sync/protocol/attachments.js';
import { conversationPreview } from '../../../renderer/format/conversation-preview.js';
import { gifAttachment, gifProblemOf, isGif } from '../../../renderer/state/gifs.js';
import { FakeApi, message, settle, storesOnFakes, summary } from './fake-api.js';

const { start } = storesOnFakes();

const cat = { id: 'cat3', title: 'Dancing cat 3', width: 480, height: 270 };

function gifView(overrides: Partial<AttachmentView> = {}): AttachmentView {
  return {
    index: 0,
    name: 'Dancing cat 3.gif',
    sha256: 'c'.repeat(64),
    size: 1234,
    mime: 'image/gif',
    kind: 'image',
    width: 480,
    height: 270,
    preview: null,
    durationMs: null,
    localUrl: `files/${'c'.repeat(64)}`,
    transfer: null,
    ...overrides,
  };
}

describe('a GIF chosen in the picker', () => {
  it('is stored by the core, then sent to the open conversation as an image named by its title, with the reply', async () => {
    const api = new FakeApi();
    api.conversations = [summary({ id: 'c1' })];
    api.histories.set('c1', { messages: [message({ id: 'm1', conversationId: 'c1', seq: 1, text: 'Dance?' })], readSeq: 1 });
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();

    await store.getState().actions.sendGif(cat, 'm1');
    expect(api.callsOf('storeGif')).toEqual([{ id: 'cat3' }]);
    expect(api.callsOf('sendMessage')).toEqual([
      {
        conversationId: 'c1',
        text: '',
        replyTo: 'm1',
        attachments: [{ sha256: 'c'.repeat(64), name: 'Dancing cat 3.gif', kind: 'image', width: 480, height: 270 }],
      },
    ]);
  });

  it('is named safely whatever its title, and sized within what an image may declare', () => {
    const stored = { sha256: 'c'.repeat(64) };
    expect(gifAttachment({ ...cat, title: '../../etc/passwd' }, stored).name).toBe('_.._etc_passwd.gif');
    expect(gifAttachment({ ...cat, title: '   ' }, stored).name).toBe('GIF.gif');
    const huge = gifAttachment({ ...cat, width: 1e9, height: 0.2 }, stored);
    expect([huge.width, huge.height]).toEqual([ATTACHMENT_LIMITS.maxImageSide, 1]);
  });
});

describe('what the GIFs tab says went wrong', () => {
  it('tells a server without GIFs from being offline, too many searches, and anything else', () => {
    expect(gifProblemOf(new AppApiError('not_found', GIFS_NOT_CONFIGURED))).toBe('not_configured');
    expect(gifProblemOf(new AppApiError('not_found', 'not_found'))).toBe('failed');
    expect(gifProblemOf(new AppApiError('offline', 'offline'))).toBe('offline');
    expect(gifProblemOf(new AppApiError('rate_limited', 'rate_limited'))).toBe('rate_limited');
    expect(gifProblemOf(new AppApiError('refused', 'gif_provider_failed'))).toBe('failed');
    expect(gifProblemOf(new Error('socket closed'))).toBe('failed');
  });

  it('passes a search’s refusal to the tab as it came', async () => {
    const api = new FakeApi();
    api.gifSearch = new AppApiError('not_found', GIFS_NOT_CONFIGURED);
    const store = await start(api);
    const refused = await store
      .getState()
      .actions.searchGifs('cat', 0)
      .catch((error: unknown) => error);
    expect(gifProblemOf(refused)).toBe('not_configured');
    expect(api.callsOf('searchGifs')).toEqual([{ query: 'cat', offset: 0 }]);
  });
});

describe('a GIF in a message', () => {
  it('is an image whose bytes are a GIF, whatever it is named', () => {
    expect(isGif(gifView())).toBe(true);
    expect(isGif(gifView({ name: 'cat.png' }))).toBe(true);
    expect(isGif(gifView({ name: 'cat.gif', mime: 'image/png' }))).toBe(false);
    expect(isGif(gifView({ kind: 'file' }))).toBe(false);
  });

  it('reads “GIF” in the conversation list, and a photo still “Photo”', () => {
    const last = (name: string) =>
      summary({
        id: 'c1',
        lastMessage: {
          text: '',
          senderName: 'Bob',
          own: false,
          at: 1,
          deleted: false,
          attachment: { kind: 'image', name },
        },
      });
    expect(conversationPreview(last('Dancing cat 3.gif'))).toBe('GIF');
    expect(conversationPreview(last('beach.jpg'))).toBe('Photo');
  });
});
