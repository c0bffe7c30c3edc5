import { expect, test } from './support/app.js';
import { pngImage } from './support/files.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';
import { zeroPng } from '../support/png-bomb.js';

const resources = cleanedUpAfterEach();

test('a decompression-bomb PNG arrives as a file row, never decoded, beside an ordinary image shown inline', async ({
  launchApp,
}) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'bombs');
  await alice.send('Pictures coming');
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await bob.openConversationWith('Alice Liddell');

  const bomb = await zeroPng(20_000, 20_000);
  const chooser = alice.page.waitForEvent('filechooser');
  await alice.page.getByRole('button', { name: 'Attach', exact: true }).click();
  await (
    await chooser
  ).setFiles([
    { name: 'bomb.png', mimeType: 'image/png', buffer: bomb },
    { name: 'photo.png', mimeType: 'image/png', buffer: pngImage(640, 400) },
  ]);
  await expect(alice.page.getByRole('button', { name: 'Send', exact: true })).toBeEnabled();
  await alice.send('Two pictures');

  const received = bob.message('Two pictures');
  await expect(received.getByRole('img', { name: 'photo.png' })).toBeVisible({ timeout: 45_000 });
  await expect(received.getByRole('button', { name: 'Save bomb.png' })).toBeVisible();
  await expect(received.getByRole('img', { name: 'bomb.png' })).toHaveCount(0);
  // The page still answers: Bob replies.
  await bob.send('Got them');
  await expect(alice.message('Got them')).toBeVisible();
});
