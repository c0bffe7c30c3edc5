/**
 * Issue 33: a sticker pack made in the picker's "Stickers" tab from two pictures (a PNG and an
 * animated GIF), one sticker sent; it shows large on both sides, without a bubble, named by its
 * emoji or "Sticker"; Bob adds the pack from it with one download ("Add sticker pack"), finds it
 * in his own Stickers tab, and sends one of its stickers back; his laptop, linked afterwards, gets
 * the pack too.
 */
import { expect, test } from './support/app.js';
import { animatedGif, pngImage } from './support/files.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndBob, anotherDevice, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

const stickersTab = async (person: MessengerPage) => {
  await person.page.getByRole('button', { name: 'Emoji picker' }).click();
  const picker = person.page.getByRole('dialog', { name: 'Emoji' });
  await picker.getByRole('tab', { name: 'Stickers' }).click();
  return picker;
};

/** The stickers in a person's open conversation: images named by their emoji, or "Sticker". */
const stickersInLog = (person: MessengerPage, name: string | RegExp = /^(🎉|Sticker)$/u) =>
  person.page.getByRole('log').getByRole('img', { name });

test('a sticker pack is made, a sticker sent, the pack added by the other person, used back, and on their laptop', async ({
  launchApp,
}) => {
  const { alice, bob, server } = await aliceAndBob(launchApp, resources, 'stickers');
  await alice.openConversationWith('Bob Builder');
  await bob.openConversationWith('Alice Liddell');

  let picker = await stickersTab(alice);
  await expect(picker.getByRole('tablist', { name: 'Emoji, stickers and GIFs' }).getByRole('tab')).toHaveText([
    'Emoji',
    'Stickers',
    'GIFs',
  ]);
  await picker.getByRole('button', { name: 'Create sticker pack' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Create sticker pack' });
  await dialog.getByRole('textbox', { name: 'Pack name' }).fill('Party');
  await dialog.getByLabel('Pictures (PNG, WebP or GIF, up to 200)').setInputFiles([
    { name: 'wide.png', mimeType: 'image/png', buffer: pngImage(300, 120) },
    {
      name: 'dance.gif',
      mimeType: 'image/gif',
      buffer: animatedGif(64, 64, [
        [200, 20, 40],
        [40, 20, 200],
      ]),
    },
  ]);
  // The first picture's sticker is named by its emoji; the second, left without, is "Sticker".
  await dialog.getByRole('textbox', { name: 'Emoji for wide.png' }).fill('no');
  await expect(dialog.getByRole('button', { name: 'Create', exact: true })).toBeDisabled();
  await dialog.getByRole('textbox', { name: 'Emoji for wide.png' }).fill('🎉');
  await dialog.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(dialog).toBeHidden();
  const pack = picker.getByRole('region', { name: 'Party' });
  await expect(pack.getByRole('button', { name: '🎉' })).toHaveCount(1);
  await expect(pack.getByRole('button', { name: 'Sticker' })).toHaveCount(1);
  await pack.getByRole('button', { name: '🎉' }).click();
  await expect(picker).toBeHidden();

  // Large, without a bubble, on both sides; only Bob, who lacks the pack, is offered it.
  await expect(stickersInLog(alice, '🎉')).toHaveCount(1);
  await expect(stickersInLog(bob, '🎉')).toHaveCount(1);
  await expect.poll(() => stickersInLog(bob, '🎉').evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBe(512);
  await expect(alice.page.getByRole('log').getByRole('button', { name: 'Add sticker pack' })).toHaveCount(0);
  await bob.page.getByRole('log').getByRole('button', { name: 'Add sticker pack' }).click();
  await expect(bob.page.getByRole('log').getByRole('button', { name: 'Add sticker pack' })).toHaveCount(0);

  picker = await stickersTab(bob);
  const bobsPack = picker.getByRole('region', { name: 'Party' });
  await expect(bobsPack.getByRole('button')).toHaveCount(2);
  await bobsPack.getByRole('button', { name: 'Sticker' }).click();
  await expect(stickersInLog(alice, 'Sticker')).toHaveCount(1);
  await expect(stickersInLog(bob, 'Sticker')).toHaveCount(1);

  // Bob's laptop, linked now, installs the pack he added (a sealed setting naming its message).
  const laptop = await anotherDevice(launchApp, 'stickers', server.url, 'bob', bob);
  await laptop.openConversationWith('Alice Liddell');
  await expect(stickersInLog(laptop)).toHaveCount(2);
  picker = await stickersTab(laptop);
  await expect(picker.getByRole('region', { name: 'Party' }).getByRole('button')).toHaveCount(2, { timeout: 30_000 });
});
