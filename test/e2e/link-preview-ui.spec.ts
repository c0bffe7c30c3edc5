/**
 * Issue 10: a link preview made by the sender from a local test page (the hosts run with
 * --allow-loopback-previews), shown to both people; "Remove preview" sends without one.
 */
import { expect, test } from './support/app.js';
import { PREVIEW_PAGE, startPreviewSite, type PreviewSite } from '../support/link-preview-site.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();
let site: PreviewSite | null = null;
test.afterEach(async () => {
  await site?.close();
  site = null;
});

test('the sender’s preview of a local page reaches the other person; a removed one is not sent', async ({ launchApp }) => {
  site = await startPreviewSite();
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'preview', { allowLoopbackPreviews: true });
  await alice.openConversationWith('Bob Builder');
  const composer = alice.page.getByRole('textbox', { name: 'Message' });
  const url = site.url('/page');

  await composer.fill(`Have a look: ${url}`);
  const composerPreview = alice.page.locator('form').getByRole('region', { name: 'Link preview' });
  await expect(composerPreview).toContainText(PREVIEW_PAGE.title);
  await expect(alice.page.getByRole('button', { name: 'Remove preview' })).toBeVisible();
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
  await expect(composerPreview).toBeHidden();

  await bob.openConversationWith('Alice Liddell');
  const preview = bob.message('Have a look').getByRole('region', { name: 'Link preview' });
  await expect(preview).toContainText(PREVIEW_PAGE.title);
  await expect(preview).toContainText(PREVIEW_PAGE.description);
  const title = preview.getByRole('link', { name: PREVIEW_PAGE.title });
  await expect(title).toHaveAttribute('href', url);
  await expect(title).toHaveAttribute('target', '_blank');
  await expect(title).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(preview.locator('img')).toHaveAttribute('src', /^data:image\/(jpeg|png|webp);base64,/);
  await expect(preview.locator('img')).toHaveAttribute('alt', '');
  await expect(alice.message('Have a look').getByRole('region', { name: 'Link preview' })).toContainText(PREVIEW_PAGE.title);
  // Only the sender's core fetched the page: one request for it.
  expect(site.requests.filter((request) => request.path === '/page')).toHaveLength(1);

  // Removed: the message goes without a preview.
  await composer.fill(`And this one ${site.url('/plain')}`);
  await expect(composerPreview).toContainText('Plain page');
  await alice.page.getByRole('button', { name: 'Remove preview' }).click();
  await expect(composerPreview).toBeHidden();
  await composer.press('Enter');
  await expect(bob.message('And this one')).toBeVisible();
  await expect(bob.message('And this one').getByRole('region', { name: 'Link preview' })).toHaveCount(0);
});
