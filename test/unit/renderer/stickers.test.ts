/**
 * Stickers in the renderer (issue 33): a sticker message shows large without a bubble, named by its
 * emoji or "Sticker", its two files never listed as files; "Add sticker pack" installs its pack;
 * the core's refusals have words.
 */
import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../../sync/app-api/contract.js';
import { en } from '../../../renderer/i18n/en.js';
import { stickerRefusalOf } from '../../../renderer/state/stickers.js';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { FakeApi, message, settle, storesOnFakes, summary } from './fake-api.js';
import { bubbleMarkup } from './markup.js';

const { start } = storesOnFakes();

const sticker = { packId: 'a'.repeat(32), stickerId: 'b'.repeat(32), emoji: '🎉' };
const file = { size: 10, preview: null, durationMs: null, transfer: null };
const files: MessageView['attachments'] = [
  {
    ...file,
    index: 0,
    name: 'sticker.webp',
    sha256: 'e'.repeat(64),
    mime: 'image/webp',
    kind: 'image',
    width: 512,
    height: 512,
    localUrl: `files/${'e'.repeat(64)}`,
  },
  {
    ...file,
    index: 1,
    name: 'sticker-pack',
    sha256: 'f'.repeat(64),
    mime: 'application/octet-stream',
    kind: 'file',
    width: null,
    height: null,
    localUrl: null,
  },
];

async function openWith(view: Partial<MessageView>) {
  const api = new FakeApi();
  api.conversations = [summary({ id: 'c1' })];
  api.histories.set('c1', {
    messages: [message({ id: 's1', conversationId: 'c1', seq: 1, text: '', attachments: files, ...view })],
    readSeq: 1,
  });
  const store = await start(api);
  store.getState().actions.openConversation('c1');
  await store.getState().actions.loadStickerPacks();
  await settle();
  return { api, store };
}

describe('a sticker message', () => {
  // Static markup reads the store as created (packs not yet read): "Add sticker pack" is e2e's to see.
  it('shows its picture without a bubble, named by its emoji, its files never listed', async () => {
    const { store } = await openWith({ sticker });
    const html = await bubbleMarkup(store, store.getState().open!.messages[0]!);
    expect(html).toContain('message--sticker');
    expect(html).toMatch(/<img class="sticker__image" src="files\/e{64}" alt="🎉"/u);
    expect(html).not.toContain('sticker-pack');
    expect(html).not.toContain('sticker.webp');
  });

  it('is named "Sticker" without an emoji', async () => {
    const { store } = await openWith({ sticker: { ...sticker, emoji: null } });
    expect(await bubbleMarkup(store, store.getState().open!.messages[0]!)).toContain('alt="Sticker"');
  });

  it('has its pack installed by "Add sticker pack", which the Stickers tab then lists', async () => {
    const { api, store } = await openWith({ sticker });
    expect(store.getState().stickerPacks).toEqual([]);
    await store.getState().actions.addStickerPack('c1', 's1');
    expect(api.callsOf('addStickerPack')).toEqual([{ conversationId: 'c1', messageId: 's1' }]);
    expect(store.getState().stickerPacks?.map((pack) => pack.packId)).toEqual([sticker.packId]);
  });

  it('lists a pack installed from another device once the core says the settings changed', async () => {
    const { api, store } = await openWith({ sticker });
    api.stickerPacks = [{ packId: sticker.packId, name: 'Party', stickers: [] }];
    api.emit({ type: 'settings', conversationIds: [] });
    await settle();
    expect(store.getState().stickerPacks?.map((pack) => pack.name)).toEqual(['Party']);
  });

  it('has words for every refusal the core gives by code', () => {
    for (const code of ['sticker_pack_wrong_key', 'sticker_pack_malformed', 'sticker_not_webp', 'sticker_not_an_image']) {
      expect(stickerRefusalOf(new AppApiError('refused', code))).toBe(code);
      expect(en.stickers.refusals[code as keyof typeof en.stickers.refusals]).toMatch(/\w/u);
    }
    expect(stickerRefusalOf(new Error('boom'))).toBe('other');
  });
});
