/**
 * A history of thousands of messages: the list lands on the first unread one, stays a few dozen
 * rows in the DOM however long the history, returns to the newest with "Jump to latest", and a
 * search result 5,000 messages back opens with that message current and history around it.
 */
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndSocketBob, cleanedUpAfterEach } from './support/test-resources.js';
import { randomUUID } from 'node:crypto';
import { postAll } from '../support/crypto-devices.js';
import { createServerHarness } from '../support/server-harness.js';

const resources = cleanedUpAfterEach();
const sockets = createServerHarness();
test.afterEach(() => sockets.cleanup());

const COUNT = 5200;
/** Each message has a word of its own, so a search finds exactly it. */
const text = (n: number) => `Entry ${n} marker${n}x`;

/** Message articles in the DOM now (the windowed list draws only those near the view). */
const drawnArticles = (alice: MessengerPage) => alice.log.getByRole('article').count();

test('a long history: lands on the unread divider, jumps to the latest and to a search result 5,000 back', async ({
  launchApp,
}) => {
  // Bob is a bare device: he writes the long history quickly, every envelope in flight at once.
  const { alice, bob, conversationId } = await aliceAndSocketBob(launchApp, resources, sockets, 'long');
  await postAll(
    bob,
    conversationId,
    Array.from({ length: COUNT }, (_, i) => ({
      clientId: randomUUID(),
      content: { kind: 'message' as const, text: text(i + 1) },
    })),
  );
  await expect(alice.conversationWith('Bob')).toContainText(text(COUNT), { timeout: 60_000 });

  // Everything is unread: it opens on the divider, above Bob's first message.
  await alice.openConversationWith('Bob');
  const divider = alice.page.getByRole('separator', { name: 'Unread messages' });
  await expect(divider).toBeInViewport();
  await expect(alice.message(text(1))).toBeInViewport();
  expect(await drawnArticles(alice)).toBeLessThan(100);

  await alice.page.getByRole('button', { name: 'Jump to latest' }).click();
  await expect(alice.message(text(COUNT))).toBeInViewport();
  await expect(alice.page.getByRole('button', { name: 'Jump to latest' })).toBeHidden();
  expect(await drawnArticles(alice)).toBeLessThan(100);

  // 5,000 messages back, through search.
  const target = COUNT - 5000;
  await alice.page.getByRole('textbox', { name: 'Search' }).fill(`marker${target}x`);
  const results = alice.page.getByRole('list', { name: 'Search results' });
  await results
    .getByRole('listitem')
    .filter({ hasText: `Entry ${target}` })
    .click();
  const current = alice.log.locator('article[aria-current="true"]');
  await expect(current).toHaveCount(1);
  await expect(current).toContainText(text(target));
  await expect(current).toBeInViewport();

  // History loads below it and above it as the person scrolls.
  const scroller = alice.page.locator('.messages');
  await expect(async () => {
    await scroller.hover();
    await alice.page.mouse.wheel(0, 1500);
    await expect(alice.message(text(target + 120))).toBeAttached({ timeout: 500 });
  }).toPass({ timeout: 30_000 });
  await expect(async () => {
    await scroller.hover();
    await alice.page.mouse.wheel(0, -1500);
    await expect(alice.message(text(target - 80))).toBeAttached({ timeout: 500 });
  }).toPass({ timeout: 30_000 });
  expect(await drawnArticles(alice)).toBeLessThan(100);
  // Scrolled away from it by hand: it is no longer current.
  await expect(current).toHaveCount(0);
});
