/**
 * Issue 10: links in messages are http(s) links that open outside the app (never `javascript:`),
 * and every emoji can be used: the full picker from the reaction row's "More emoji" (searching,
 * recently used first) and from the composer.
 */
import type { Locator } from '@playwright/test';
import { browserHostOnly, expect, test } from './support/app.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();
let fontProbes = 0;

/**
 * The fonts Chromium drew the text directly inside `element` with (DevTools protocol): "bundled" for
 * a font the page brought (the app's colour emoji font is its only one), else the system font's name.
 */
async function fontsDrawing(element: Locator): Promise<string[]> {
  const page = element.page();
  const marker = String(++fontProbes);
  await element.evaluate(
    (node: { setAttribute(name: string, value: string): void }, value) => node.setAttribute('data-font-probe', value),
    marker,
  );
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: `[data-font-probe="${marker}"]` });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts.map((font) => (font.isCustomFont ? 'bundled' : font.familyName));
  } finally {
    await cdp.detach();
  }
}

test('links open outside the app; other schemes are never links', async ({ launchApp }) => {
  browserHostOnly(
    'the link opens in a new browser tab there, which the test follows; Electron hands it to the system browser (test/unit/hosts/electron-helpers.test.ts)',
  );
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'links');
  // The "site" the link leads to, answered here so the test needs no network.
  await bob.page
    .context()
    .route('https://example.com/**', (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Outside</title>outside' }),
    );

  const text = 'Docs at https://example.com/docs?x=1 or example.org, never javascript:alert(1) or file:///etc/passwd';
  await alice.send(text);
  await bob.openConversationWith('Alice Liddell');
  const message = bob.message('Docs at');
  await expect(message).toBeVisible();

  const link = message.getByRole('link', { name: 'https://example.com/docs?x=1', exact: true });
  await expect(link).toHaveAttribute('href', 'https://example.com/docs?x=1');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(message.getByRole('link', { name: 'example.org', exact: true })).toHaveAttribute('href', 'https://example.org/');
  await expect(message.getByRole('link')).toHaveCount(2);
  await expect(message.getByRole('link', { name: /javascript|file/ })).toHaveCount(0);
  // The text around the links is still there, as text.
  await expect(message.getByRole('paragraph')).toHaveText(text);

  const appUrl = bob.page.url();
  const popupOpened = bob.page.context().waitForEvent('page');
  await link.click();
  const popup = await popupOpened;
  await popup.waitForLoadState();
  expect(popup.url()).toBe('https://example.com/docs?x=1');
  // No opener: the site cannot reach back into the app.
  expect(await popup.evaluate(() => (globalThis as { opener?: unknown }).opener === null)).toBe(true);
  await popup.close();
  // Nothing opened inside the app.
  expect(bob.page.url()).toBe(appUrl);
  await expect(bob.log).toBeVisible();

  // The sender sees the same links.
  await expect(alice.message('Docs at').getByRole('link')).toHaveCount(2);

  // Markup in a message is text, never HTML.
  const hostile = '<img src=x onerror=alert(1)> <b>bold</b> <a href="javascript:alert(1)">x</a> see https://example.com/@bob';
  await alice.send(hostile);
  const shown = bob.message('onerror');
  await expect(shown.getByRole('paragraph')).toHaveText(hostile);
  await expect(shown.locator('p img, p b')).toHaveCount(0);
  await expect(shown.getByRole('link')).toHaveCount(1);
  await expect(shown.getByRole('link')).toHaveAttribute('href', 'https://example.com/@bob');
});

test('reacting with any emoji from "More emoji", recently used first, and emoji in the composer', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'emoji');
  await alice.send('Launch day');
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Launch day')).toBeVisible();

  // React → the quick row still offers the common ones, and "More emoji" the full picker.
  await bob.messageAction('Launch day', 'React');
  const quickRow = bob.page.getByRole('dialog', { name: 'Reactions' });
  await expect(quickRow.getByRole('button', { name: '👍', exact: true })).toBeVisible();
  await quickRow.getByRole('button', { name: 'More emoji' }).click();
  const picker = bob.page.getByRole('dialog', { name: 'Emoji' });
  await expect(picker).toBeVisible();
  const search = picker.getByRole('textbox', { name: 'Search emoji' });
  await expect(search).toBeFocused();
  await search.fill('rocket');
  await picker.getByRole('button', { name: '🚀', exact: true }).click();
  await expect(picker).toBeHidden();
  await expect(bob.reaction('Launch day', '🚀', 1)).toBeVisible();
  await expect(alice.reaction('Launch day', '🚀', 1)).toBeVisible();
  // Focus went back to the message's React button.
  await expect(bob.message('Launch day').getByRole('button', { name: 'React', exact: true })).toBeFocused();

  // Escape closes the picker and puts focus back; the rocket is now first among the recently used.
  await bob.messageAction('Launch day', 'React');
  await bob.page.getByRole('button', { name: 'More emoji' }).click();
  await expect(picker).toBeVisible();
  const recent = picker.getByRole('region', { name: 'Recently used' });
  await expect(recent.getByRole('button').first()).toHaveAccessibleName('🚀');
  await bob.page.keyboard.press('Escape');
  await expect(picker).toBeHidden();
  await expect(bob.message('Launch day').getByRole('button', { name: 'React', exact: true })).toBeFocused();

  // The composer's emoji button puts the emoji at the caret.
  const composer = bob.page.getByRole('textbox', { name: 'Message' });
  await composer.fill('Ready for take-off!');
  await composer.press('Home');
  await bob.page.getByRole('button', { name: 'Emoji picker' }).click();
  await expect(picker).toBeVisible();
  await picker.getByRole('textbox', { name: 'Search emoji' }).fill('party popper');
  await picker.getByRole('button', { name: '🎉', exact: true }).click();
  await expect(picker).toBeHidden();
  await expect(composer).toHaveValue('🎉Ready for take-off!');
  await expect(composer).toBeFocused();
  await composer.press('Enter');
  await expect(alice.message('🎉Ready for take-off!')).toBeVisible();
});

test('emoji are drawn with the bundled colour font in messages, reactions and the picker', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'emoji-font');
  // Emoji that common text fonts (DejaVu Sans, say) also draw, in black and white.
  const emoji = '😀❤️☺️';
  await alice.send(emoji);
  await bob.openConversationWith('Alice Liddell');
  for (const person of [alice, bob]) {
    const text = person.message(emoji).getByRole('paragraph');
    await expect(text).toHaveText(emoji);
    await expect.poll(() => fontsDrawing(text)).toEqual(['bundled']);
  }

  await bob.messageAction(emoji, 'React');
  const quickRow = bob.page.getByRole('dialog', { name: 'Reactions' });
  await expect.poll(() => fontsDrawing(quickRow.getByRole('button', { name: '❤️', exact: true }))).toEqual(['bundled']);
  await quickRow.getByRole('button', { name: 'More emoji' }).click();
  const picker = bob.page.getByRole('dialog', { name: 'Emoji' });
  await picker.getByRole('textbox', { name: 'Search emoji' }).fill('grinning face');
  const grinning = picker.getByRole('button', { name: '😀', exact: true });
  await expect.poll(() => fontsDrawing(grinning)).toEqual(['bundled']);
  await grinning.click();
  const chip = alice.reaction(emoji, '😀', 1);
  await expect(chip).toBeVisible();
  await expect.poll(() => fontsDrawing(chip.getByText('😀', { exact: true }))).toEqual(['bundled']);
});
