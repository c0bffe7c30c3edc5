/**
 * Issue 31, the proof that the server is blind: two people write every kind of content with
 * marker strings in it (text, an edit, a reply, a reaction, a forward, a link preview, a file whose
 * name and bytes hold a marker, an image, a voice message, a draft, a group's name and its rename),
 * each seen to arrive, and a device linked with the history; then every byte the server stored (its
 * SQLite database or PostgreSQL data folder, and its attachment store) is searched for the markers
 * and for pieces of the recorded voice. None is there, while the names the server is meant to know
 * are: the search reads what it searches.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { PREVIEW_PAGE, htmlPage, startPreviewSite, type PreviewSite } from '../support/link-preview-site.js';
import { pngChunk } from '../support/png-chunk.js';
import { startEmbeddedPostgres, type RunningPostgres } from '../support/postgres-embedded.js';
import { markersStored } from '../support/stored-bytes.js';
import { expect, test } from './support/app.js';
import { pngImage } from './support/files.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndBob, anotherDevice, cleanedUpAfterEach } from './support/test-resources.js';

// Chromium's stand-in microphone (a tone), allowed without asking: for the voice message.
test.use({ chromiumSwitches: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });

const resources = cleanedUpAfterEach();
let site: PreviewSite | null = null;
let postgres: RunningPostgres | null = null;
test.afterEach(async () => {
  await site?.close();
  site = null;
  await postgres?.stop();
  postgres = null;
});

/** Marker strings, unique to the run, by what each is written into. */
function markers() {
  const run = randomBytes(4).toString('hex');
  const mark = (what: string) => `${what}${run}marker`;
  return {
    text: mark('text'),
    edit: mark('edit'),
    reply: mark('reply'),
    forward: mark('forward'),
    caption: mark('caption'),
    fileName: mark('filename'),
    fileBytes: mark('filebytes'),
    imageName: mark('imagename'),
    imageBytes: mark('imagebytes'),
    previewTitle: mark('previewtitle'),
    previewDescription: mark('previewdescription'),
    draft: mark('draft'),
    groupName: mark('groupname'),
    rename: mark('rename'),
  };
}

/** A reaction no other content holds: a flag is eight bytes of UTF-8. */
const REACTION = { emoji: '🇧🇹', search: 'Bhutan' };

/** The bytes of an attachment as `page`'s app shows it (its local copy), from the element's address. */
async function shownBytes(page: Page, selector: string, within: ReturnType<MessengerPage['message']>): Promise<Buffer> {
  const element = within.locator(selector).first();
  await expect(element).toHaveAttribute('src', /^files\//, { timeout: 30_000 });
  const bytes = await element.evaluate(async (node: { src: string }) => {
    const response = await fetch(node.src);
    return [...new Uint8Array(await response.arrayBuffer())];
  });
  return Buffer.from(bytes);
}

/** `count` slices of `bytes` of `length` each, spread over the whole file past its header. */
function slicesOf(bytes: Buffer, count: number, length: number): Buffer[] {
  const start = Math.min(256, Math.floor(bytes.length / 4));
  const step = Math.floor((bytes.length - start - length) / count);
  return Array.from({ length: count }, (_, index) => bytes.subarray(start + index * step, start + index * step + length));
}

for (const store of ['sqlite', 'postgres'] as const) {
  test(`the server stores none of what people write, sealed, on ${store === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, async ({
    launchApp,
  }) => {
    test.setTimeout(300_000);
    const marker = markers();
    postgres = store === 'postgres' ? await startEmbeddedPostgres() : null;
    site = await startPreviewSite();
    site.route('/blind', (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      response.end(
        htmlPage(
          `<meta property="og:title" content="${marker.previewTitle}">` +
            `<meta property="og:description" content="${marker.previewDescription}">`,
        ),
      );
    });
    const { alice, bob, server, serverDataDir } = await aliceAndBob(launchApp, resources, `blind-${store}`, {
      allowLoopbackPreviews: true,
      serverArgs: postgres ? ['--store', postgres.url] : [],
    });

    // Text, an edit, a reply, a reaction.
    await alice.openConversationWith('Bob Builder');
    await alice.send(`Plain words ${marker.text}`);
    await bob.openConversationWith('Alice Liddell');
    await expect(bob.message(marker.text)).toBeVisible();
    await alice.edit(`Plain words ${marker.text}`, `Better words ${marker.edit}`);
    await expect(bob.message(marker.edit)).toBeVisible();
    await bob.replyTo(marker.edit, 'Alice Liddell', `An answer ${marker.reply}`);
    await expect(alice.message(marker.reply)).toContainText(marker.edit);
    await alice.messageAction(marker.reply, 'React');
    await alice.page.getByRole('dialog', { name: 'Reactions' }).getByRole('button', { name: 'More emoji' }).click();
    const picker = alice.page.getByRole('dialog', { name: 'Emoji' });
    await picker.getByRole('textbox', { name: 'Search emoji' }).fill(REACTION.search);
    await picker.getByRole('button', { name: REACTION.emoji, exact: true }).click();
    await expect(bob.reaction(marker.reply, REACTION.emoji, 1)).toBeVisible();

    // A link preview made by Alice's app from a page whose title and description are markers.
    const composer = alice.page.getByRole('textbox', { name: 'Message' });
    await composer.fill(`Have a look ${site.url('/blind')}`);
    const composerPreview = alice.page.locator('form').getByRole('region', { name: 'Link preview' });
    await expect(composerPreview).toContainText(marker.previewTitle);
    await composer.press('Enter');
    await expect(composer).toHaveValue('');
    const preview = bob.message('Have a look').getByRole('region', { name: 'Link preview' });
    await expect(preview).toContainText(marker.previewTitle);
    await expect(preview).toContainText(marker.previewDescription);
    expect(PREVIEW_PAGE.title).not.toContain('marker');

    // A file whose name and bytes hold markers, and an image with a marker in its bytes.
    const fileName = `${marker.fileName}.txt`;
    const imageName = `${marker.imageName}.png`;
    const plainImage = pngImage(96, 64);
    const image = Buffer.concat([
      plainImage.subarray(0, 33),
      pngChunk('tEXt', Buffer.from(`Comment\0${marker.imageBytes}`, 'latin1')),
      plainImage.subarray(33),
    ]);
    const chooser = alice.page.waitForEvent('filechooser');
    await alice.page.getByRole('button', { name: 'Attach', exact: true }).click();
    await (
      await chooser
    ).setFiles([
      { name: fileName, mimeType: 'text/plain', buffer: Buffer.from(`Notes: ${marker.fileBytes}\n${'x'.repeat(4096)}`) },
      { name: imageName, mimeType: 'image/png', buffer: image },
    ]);
    await expect(alice.page.getByRole('list', { name: 'Attachments' }).getByRole('listitem')).toHaveCount(2);
    await alice.send(`Two files ${marker.caption}`);
    const files = bob.message(marker.caption);
    await expect(files.getByRole('button', { name: `Save ${fileName}` })).toBeVisible({ timeout: 30_000 });
    await expect(files.getByRole('img', { name: imageName })).toBeVisible();
    // What Bob's app downloaded and opened holds the image's marker: it went through the server.
    expect((await shownBytes(bob.page, 'img', files)).includes(Buffer.from(marker.imageBytes))).toBe(true);

    // A voice message; pieces of what Bob's app plays are searched for below.
    await alice.page.getByRole('button', { name: 'Record voice message' }).click();
    await expect(alice.page.getByRole('timer')).toHaveText('0:02', { timeout: 10_000 });
    await alice.page.getByRole('button', { name: 'Send voice message' }).click();
    const voice = bob.log
      .getByRole('article')
      .filter({ has: bob.page.getByRole('button', { name: /^(Play|Pause) voice message$/ }) });
    await expect(voice).toHaveCount(1, { timeout: 30_000 });
    await voice.getByRole('button', { name: 'Play voice message' }).click();
    const recording = await shownBytes(bob.page, 'audio', voice);
    expect(recording.length).toBeGreaterThan(2_000);

    // A forward, into a group named with a marker and then renamed with another.
    await bob.send(`Worth passing on ${marker.forward}`);
    await alice.createGroup(marker.groupName, ['bob']);
    await expect(bob.conversationWith(marker.groupName)).toBeVisible({ timeout: 30_000 });
    await alice.openConversationWith(marker.groupName);
    await alice.page.getByRole('button', { name: 'Group info' }).click();
    const groupInfo = alice.page.getByRole('dialog', { name: 'Group info' });
    await groupInfo.getByRole('textbox', { name: 'Group name' }).fill(marker.rename);
    await groupInfo.getByRole('button', { name: 'Save', exact: true }).click();
    await groupInfo.getByRole('button', { name: 'Close' }).click();
    await bob.openConversationWith(marker.rename);
    await expect(
      bob.log.getByRole('note').filter({ hasText: `Alice Liddell renamed the group to ${marker.rename}` }),
    ).toBeVisible();
    await alice.openConversationWith('Bob Builder');
    const original = alice.message(marker.forward);
    await original.hover();
    await original.getByRole('button', { name: 'Forward', exact: true }).click();
    const forwardDialog = alice.page.getByRole('dialog', { name: 'Forward message' });
    await forwardDialog.getByRole('checkbox', { name: marker.rename, exact: true }).check();
    await forwardDialog.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(bob.message(marker.forward)).toContainText('Forwarded from Bob Builder');

    // A draft, which Alice's laptop, linked with the history, shows too.
    await alice.openConversationWith('Bob Builder');
    await composer.fill(`Half written ${marker.draft}`);
    await expect(alice.conversationWith('Bob Builder')).toContainText(`Draft: Half written ${marker.draft}`);
    const laptop = await anotherDevice(launchApp, `blind-${store}`, server.url, 'alice', alice);
    await expect(laptop.conversationWith('Bob Builder')).toContainText(`Draft: Half written ${marker.draft}`, {
      timeout: 30_000,
    });
    await laptop.openConversationWith(marker.rename);
    await expect(laptop.message(marker.forward)).toBeVisible({ timeout: 30_000 });

    // Everything the server stored, after it stopped (SQLite's write-ahead log folded in).
    await server.stop();
    const stored = [serverDataDir, ...(postgres ? [postgres.dataDir] : [])];
    const voicePieces = Object.fromEntries(slicesOf(recording, 8, 24).map((piece, index) => [`voice piece ${index}`, piece]));
    expect(markersStored(stored, { ...marker, reaction: REACTION.emoji, ...voicePieces })).toEqual({});
    // What the server is meant to know is there to find: the people's names.
    expect(Object.keys(markersStored(stored, { name: 'Alice Liddell', username: 'bob' }))).toEqual(['name', 'username']);
  });
}
