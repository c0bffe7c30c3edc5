/**
 * Issue 33: a GIF found in the picker's "GIFs" tab through the server's folder provider, sent, and
 * played on both sides as an ordinary sealed image; the recipient's system asks for less motion,
 * so it stays still until played there. The page never reaches anything but its own origin.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './support/app.js';
import { animatedGif } from './support/files.js';
import { tempDir } from './support/processes.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

/** A folder of 30 two-frame cats (each its own colours, so each its own bytes) and its index. */
function catFolder(): string {
  const folder = tempDir('e2e-gifs-folder-');
  resources.dirs.push(folder);
  const dir = join(folder.path, 'gifs');
  mkdirSync(dir);
  const index = Array.from({ length: 30 }, (_, i) => ({
    id: `cat${i}`,
    title: `Dancing cat ${i}`,
    tags: ['cat', 'dance'],
    file: `cat${i}.gif`,
    width: 96,
    height: 64,
  }));
  index.forEach((entry, i) =>
    writeFileSync(
      join(dir, entry.file),
      animatedGif(96, 64, [
        [200, i * 8, 40],
        [40, i * 8, 200],
      ]),
    ),
  );
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

test('a GIF found through the server is sent, plays for the sender, and waits for a click where motion is reduced', async ({
  launchApp,
}) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'gifs', {
    serverArgs: ['--gif-provider', `folder:${catFolder()}`],
  });
  await bob.page.emulateMedia({ reducedMotion: 'reduce' });
  const foreignRequests: string[] = [];
  alice.page.on('request', (request) => {
    if (new URL(request.url()).origin !== new URL(alice.page.url()).origin && !request.url().startsWith('data:')) {
      foreignRequests.push(request.url());
    }
  });
  await bob.openConversationWith('Alice Liddell');

  await alice.page.getByRole('button', { name: 'Emoji picker' }).click();
  const picker = alice.page.getByRole('dialog', { name: 'Emoji' });
  await expect(picker.getByRole('textbox', { name: 'Search emoji' })).toBeFocused();
  await picker.getByRole('tab', { name: 'GIFs' }).click();
  await expect(picker.getByRole('tab', { name: 'GIFs' })).toHaveAttribute('aria-selected', 'true');
  const search = picker.getByRole('searchbox', { name: 'Search GIFs' });
  await expect(search).toBeFocused();
  await expect(picker.getByText('Type a few words to find a GIF.')).toBeVisible();

  await search.fill('dancing CAT');
  const results = picker.getByRole('list', { name: 'GIF results' });
  // The first page, then the rest as the end of the list comes into view.
  await expect(results.getByRole('button', { name: 'Dancing cat 0', exact: true })).toBeVisible();
  await expect(results.getByRole('button')).toHaveCount(24);
  await picker.getByRole('button', { name: 'More GIFs' }).scrollIntoViewIfNeeded();
  await expect(results.getByRole('button')).toHaveCount(30);
  await expect(picker.getByRole('button', { name: 'More GIFs' })).toHaveCount(0);
  await expect(picker.getByText('Powered by GIPHY')).toHaveCount(0);
  // Each result's GIF comes from the page's own origin, animated.
  const shown = results.getByRole('button', { name: 'Dancing cat 3', exact: true }).locator('img');
  await expect(shown).toHaveAttribute('src', 'gifs/cat3');
  await expect.poll(() => shown.evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBe(96);

  await search.fill('a word no cat has');
  await expect(picker.getByText('No GIFs found for “a word no cat has”.')).toBeVisible();
  await search.fill('cat 3');
  await results.getByRole('button', { name: 'Dancing cat 3', exact: true }).click();
  await expect(picker).toBeHidden();
  await expect(alice.page.getByRole('textbox', { name: 'Message' })).toBeFocused();

  // Alice's copy plays from her own store at once; the list says what it was.
  const sent = alice.log.getByRole('img', { name: 'Dancing cat 3.gif' });
  await expect(sent).toHaveAttribute('src', /^files\/[0-9a-f]{64}$/);
  await expect(alice.log.getByRole('button', { name: 'Pause GIF' })).toBeVisible();
  await expect(alice.conversationWith('Bob Builder')).toContainText('GIF');

  // Bob's system asks for less motion: the first frame, still, until he plays it.
  const received = bob.log.getByRole('img', { name: 'Dancing cat 3.gif' });
  await expect(received).toHaveAttribute('src', /^data:image\/png;base64,/, { timeout: 30_000 });
  await expect(bob.log.getByRole('button', { name: 'Play GIF' })).toBeVisible();
  await bob.log.getByRole('button', { name: 'Play GIF' }).click();
  await expect(received).toHaveAttribute('src', /^files\/[0-9a-f]{64}$/);
  await bob.log.getByRole('button', { name: 'Pause GIF' }).click();
  await expect(received).toHaveAttribute('src', /^data:image\/png;base64,/);
  // Activating the still image plays it too.
  await received.click();
  await expect(bob.log.getByRole('button', { name: 'Pause GIF' })).toBeVisible();

  expect(foreignRequests).toEqual([]);
});

test('the GIFs tab says so when the server offers no GIFs', async ({ launchApp }) => {
  const { alice } = await aliceAndBob(launchApp, resources, 'no-gifs');
  await alice.page.getByRole('button', { name: 'Emoji picker' }).click();
  const picker = alice.page.getByRole('dialog', { name: 'Emoji' });
  await picker.getByRole('tab', { name: 'GIFs' }).click();
  await picker.getByRole('searchbox', { name: 'Search GIFs' }).fill('cat');
  await expect(picker.getByRole('alert')).toHaveText('GIFs aren’t set up on this server.');
  await expect(picker.getByRole('button', { name: 'Try again' })).toHaveCount(0);
  // Arrow keys move between the tabs (Emoji, Stickers, GIFs); Escape closes the picker.
  await expect(picker.getByRole('tablist', { name: 'Emoji, stickers and GIFs' }).getByRole('tab')).toHaveText([
    'Emoji',
    'Stickers',
    'GIFs',
  ]);
  await picker.getByRole('tab', { name: 'GIFs' }).press('ArrowLeft');
  await expect(picker.getByRole('tab', { name: 'Stickers' })).toBeFocused();
  await picker.getByRole('tab', { name: 'Stickers' }).press('ArrowLeft');
  await expect(picker.getByRole('tab', { name: 'Emoji' })).toBeFocused();
  await expect(picker.getByRole('textbox', { name: 'Search emoji' })).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(picker).toBeHidden();
});
