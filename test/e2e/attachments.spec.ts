import { randomBytes } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { browserHostOnly, expect, test } from './support/app.js';
import { dropFiles, pasteFiles, pngImage, sha256Of, sha256OfFile } from './support/files.js';
import { tempDir } from './support/processes.js';
import type { LaunchApp } from './support/running-app.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

// Chromium's stand-in microphone (a tone), allowed without asking: for recording voice messages.
test.use({ chromiumSwitches: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });

/** Why the tests that save files run on the browser host only. */
const SAVING_IS_A_BROWSER_DOWNLOAD =
  'saving a file is a browser download there, which Playwright hands over; Electron asks where to save it in a dialog of its own';

const resources = cleanedUpAfterEach();

/** Alice reaches the server through a proxy the test can cut; Bob connects directly. */
async function twoPeople(launchApp: LaunchApp) {
  const { alice, bob, aliceNetwork } = await aliceAndBob(launchApp, resources, 'files');
  await alice.send('Files coming');
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Files coming')).toBeVisible();
  return { alice, bob, aliceNetwork };
}

/** Saves through `click` and returns the SHA-256 of exactly what the browser wrote to disk. */
async function savedHash(page: Page, click: () => Promise<void>): Promise<string> {
  const download = page.waitForEvent('download');
  await click();
  const path = await (await download).path();
  return sha256OfFile(path);
}

test('a file and an image attached offline arrive after reconnecting, and are saved byte for byte', async ({ launchApp }) => {
  browserHostOnly(SAVING_IS_A_BROWSER_DOWNLOAD);
  const { alice, bob, aliceNetwork } = await twoPeople(launchApp);
  const report = randomBytes(300 * 1024);
  const photo = pngImage(640, 400);

  aliceNetwork.cut();
  await expect(alice.connection).toContainText('Offline');

  const chooser = alice.page.waitForEvent('filechooser');
  await alice.page.getByRole('button', { name: 'Attach', exact: true }).click();
  await (
    await chooser
  ).setFiles([
    { name: 'report.bin', mimeType: 'application/octet-stream', buffer: report },
    { name: 'photo.png', mimeType: 'image/png', buffer: photo },
  ]);
  const attachments = alice.page.getByRole('list', { name: 'Attachments' });
  await expect(attachments.getByRole('listitem')).toHaveCount(2);
  await expect(attachments.getByRole('button', { name: 'Remove report.bin' })).toBeVisible();
  await expect(attachments.getByRole('button', { name: 'Remove photo.png' })).toBeVisible();
  // Enter at once, while the files may still be being prepared: the message goes as soon as they are ready.
  await alice.send('Here you go');
  await expect(attachments).toBeHidden();

  // Shown at once, from the local copy, while it waits for the network.
  await expect(alice.status('Here you go', 'Sending')).toBeVisible();
  const sent = alice.message('Here you go');
  await expect(sent.getByRole('img', { name: 'photo.png' })).toBeVisible();
  await expect(sent.getByRole('button', { name: 'Save report.bin' })).toBeVisible();
  await expect(bob.message('Here you go')).toHaveCount(0);

  aliceNetwork.restore();
  await expect(alice.connection).toContainText('Online', { timeout: 45_000 });
  // Bob has the conversation open: it arrives, and he reads it.
  await expect(bob.message('Here you go')).toBeVisible({ timeout: 45_000 });
  await expect(alice.status('Here you go', 'Read')).toBeVisible();

  // Bob: the caption, the image (fetched by itself, laid out at its own proportions) and the file.
  const received = bob.message('Here you go');
  const image = received.getByRole('img', { name: 'photo.png' });
  await expect(image).toBeVisible();
  await expect(received).toContainText('300 KB');
  await expect
    .poll(() => image.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth))
    .toBe(640);
  const box = await image.boundingBox();
  expect(Math.round((box!.width / box!.height) * 10) / 10).toBeCloseTo(1.6, 1);

  expect(await savedHash(bob.page, () => received.getByRole('button', { name: 'Save report.bin' }).click())).toBe(
    sha256Of(report),
  );

  await image.click();
  const viewer = bob.page.getByRole('dialog', { name: 'Image viewer' });
  await expect(viewer).toBeVisible();
  expect(await savedHash(bob.page, () => viewer.getByRole('button', { name: 'Save' }).click())).toBe(sha256Of(photo));
  await viewer.getByRole('button', { name: 'Close' }).click();
  await expect(viewer).toBeHidden();
});

test('files dropped on the conversation and an image pasted into the message box are attached; Remove takes one back', async ({
  launchApp,
}) => {
  browserHostOnly(SAVING_IS_A_BROWSER_DOWNLOAD);
  const { alice, bob } = await twoPeople(launchApp);
  const notes = randomBytes(2048);
  const picture = pngImage(120, 80);
  await dropFiles(alice.page.getByRole('region', { name: 'Bob Builder' }), [
    { name: 'notes.bin', type: 'application/octet-stream', bytes: [...notes] },
    { name: 'not-this.txt', type: 'text/plain', bytes: [1, 2, 3] },
  ]);
  await pasteFiles(alice.page.getByRole('textbox', { name: 'Message' }), [
    { name: 'image.png', type: 'image/png', bytes: [...picture] },
  ]);

  const attachments = alice.page.getByRole('list', { name: 'Attachments' });
  await expect(attachments.getByRole('listitem')).toHaveCount(3);
  await attachments.getByRole('button', { name: 'Remove not-this.txt' }).click();
  await expect(attachments.getByRole('listitem')).toHaveCount(2);
  await expect(alice.page.getByRole('button', { name: 'Send', exact: true })).toBeEnabled();
  await alice.send('Dropped and pasted');

  const received = bob.message('Dropped and pasted');
  await expect(received.getByRole('img', { name: 'image.png' })).toBeVisible({ timeout: 30_000 });
  await expect(received.getByRole('button', { name: 'Save notes.bin' })).toBeVisible();
  await expect(received.getByRole('button', { name: 'Save not-this.txt' })).toHaveCount(0);
  expect(await savedHash(bob.page, () => received.getByRole('button', { name: 'Save notes.bin' }).click())).toBe(sha256Of(notes));
});

test('Enter pressed while a file is still being prepared sends the message as soon as it is ready', async ({ launchApp }) => {
  browserHostOnly('the file is held on its way into the profile: an HTTP request there, which the test can hold');
  const { alice, bob } = await twoPeople(launchApp);
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  await alice.page.route(/\/files$/, async (route) => {
    await held;
    await route.continue();
  });
  await pasteFiles(alice.page.getByRole('textbox', { name: 'Message' }), [
    { name: 'slow.bin', type: 'application/octet-stream', bytes: [...randomBytes(1024)] },
  ]);
  const attachments = alice.page.getByRole('list', { name: 'Attachments' });
  await expect(attachments).toContainText('Preparing…');

  const composer = alice.page.getByRole('textbox', { name: 'Message' });
  await composer.fill('Sent once it is ready');
  await composer.press('Enter');
  // Not lost, not sent without its file: it waits, and says so.
  await expect(alice.page.getByRole('status').filter({ hasText: 'Sends as soon as the files are ready' })).toBeVisible();
  await expect(composer).toHaveValue('Sent once it is ready');
  await expect(alice.message('Sent once it is ready')).toHaveCount(0);

  letGo();
  await expect(composer).toHaveValue('');
  await expect(alice.page.getByRole('status').filter({ hasText: 'Sends as soon as the files are ready' })).toHaveCount(0);
  await expect(bob.message('Sent once it is ready').getByRole('button', { name: 'Save slow.bin' })).toBeVisible({
    timeout: 30_000,
  });
});

test('a file over the limit is refused by name before anything is queued', async ({ launchApp }) => {
  const { alice } = await twoPeople(launchApp);
  const chooser = alice.page.waitForEvent('filechooser');
  await alice.page.getByRole('button', { name: 'Attach', exact: true }).click();
  // The server's default limit is 100 MB; one byte more (a sparse file: nothing is written).
  const folder = tempDir('e2e-files-huge-');
  resources.dirs.push(folder);
  const huge = join(folder.path, 'huge.iso');
  writeFileSync(huge, '');
  truncateSync(huge, 100 * 1024 * 1024 + 1);
  await (await chooser).setFiles(huge);
  await expect(alice.page.getByRole('alert').filter({ hasText: 'huge.iso' })).toContainText('100 MB');
  await expect(alice.page.getByRole('list', { name: 'Attachments' })).toHaveCount(0);
});

test('a voice message recorded with the microphone plays on the other side', async ({ launchApp }) => {
  const { alice, bob } = await twoPeople(launchApp);

  await alice.page.getByRole('button', { name: 'Record voice message' }).click();
  const timer = alice.page.getByRole('timer');
  await expect(timer).toHaveText('0:00');
  await expect(alice.page.getByRole('button', { name: 'Cancel recording' })).toBeVisible();
  await expect(timer).toHaveText('0:02', { timeout: 10_000 });
  await alice.page.getByRole('button', { name: 'Send voice message' }).click();
  await expect(timer).toBeHidden();

  const voice = bob.log
    .getByRole('article')
    .filter({ has: bob.page.getByRole('button', { name: /^(Play|Pause) voice message$/ }) });
  await expect(voice).toHaveCount(1, { timeout: 30_000 });
  await expect(voice).toContainText(/0:0[23]/);
  await voice.getByRole('button', { name: 'Play voice message' }).click();
  // It plays (the button becomes Pause) and, being short, comes to its end (Play again).
  await expect(voice.getByRole('button', { name: 'Pause voice message' })).toBeVisible({ timeout: 30_000 });
  await expect(voice.getByRole('button', { name: 'Play voice message' })).toBeVisible({ timeout: 30_000 });
  expect(await voice.locator('audio').evaluate((audio: { currentTime: number }) => audio.currentTime)).toBeGreaterThan(1);
  // Alice's own copy shows the same.
  await expect(alice.log.getByRole('button', { name: 'Play voice message' })).toHaveCount(1);
});
