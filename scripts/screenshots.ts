/**
 * npm run screenshots: the README's pictures of the app (docs/screenshots/*.png), taken from a real
 * run, so they never drift from what the app looks like.
 *   1. starts a throwaway sync server and three browser hosts (Alice, Bob, Carol) in this process,
 *      everything in one temporary folder, on 127.0.0.1 ports of the system's choosing;
 *   2. opens each host in a Chromium context of its own (chosen as the tests choose it,
 *      test/support/chromium.ts; nothing is downloaded) and plays a short scene through the UI, by
 *      the accessible names the e2e tests use: a direct conversation with a reply and a reaction,
 *      a group with an edit, a reaction, read receipts and an admin;
 *   3. photographs Alice's window at 1280×800: the group in the light and the dark theme (the
 *      Theme preference stays on System; the browser's colour scheme is what changes), a search,
 *      and the group's info dialog.
 * Expects a built dist/ (the npm script builds first). Stops everything and removes the temporary
 * folder whatever happens; a failure exits 1 and says which step failed.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, expect, type Browser, type Locator, type Page } from '@playwright/test';
import { startBrowserApp, type BrowserApp } from '../main/browser/browser-app.js';
import { builtPath } from '../main/common/paths.js';
import { onShutdownSignal } from '../main/common/shutdown.js';
import { startSyncServer, type RunningServer } from '../sync/server/sync-server.js';
import { MessengerPage } from '../test/e2e/support/messenger-page.js';
import { chooseChromium, launchOptionsFor } from '../test/support/chromium.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const OUT_DIR = path.join(ROOT, 'docs', 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };
/** Committed files: past this size a picture is worth a second look. */
const LARGE_BYTES = 250 * 1024;
const GROUP = 'Weekend trip';

type Person = { username: string; displayName: string };
const ALICE: Person = { username: 'alice', displayName: 'Alice Liddell' };
const BOB: Person = { username: 'bob', displayName: 'Bob Builder' };
const CAROL: Person = { username: 'carol', displayName: 'Carol Danvers' };

/** What was started, stopped in reverse order on the way out. */
const cleanups: Array<() => Promise<void>> = [];
let step = 'starting';
/** Ctrl-C: the step under way fails as things stop, which is no news. */
let interrupted = false;

async function stopAll(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      // After Ctrl-C the browser may be gone already (it had the signal too): nothing to say then.
      if (!interrupted) console.error(`While stopping: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

async function startServer(dataDir: string): Promise<RunningServer> {
  const server = await startSyncServer({
    port: 0,
    dataDir,
    // Only what went wrong: the scene's ordinary traffic is no news.
    logger: { error: (message, error) => console.error(`sync server: ${message}`, error ?? '') },
  });
  cleanups.push(() => server.close());
  return server;
}

async function startHost(profileDir: string, serverUrl: string): Promise<BrowserApp> {
  mkdirSync(profileDir, { recursive: true });
  const app = await startBrowserApp({
    port: 0,
    profileDir,
    defaultServerUrl: serverUrl,
    workerScript: builtPath(DIST, 'coreWorker'),
    rendererDir: builtPath(DIST, 'rendererDir'),
    onFatal: (error) => console.error(`A browser host's core stopped: ${error.message}`),
  });
  cleanups.push(() => app.close());
  return app;
}

/** One person's window: a context of their own, opened once at the host's one-time address. */
async function openWindow(browser: Browser, app: BrowserApp): Promise<MessengerPage> {
  // en-US: the app's words are the accessible names driven here; a fixed zone keeps dates alike.
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US', timezoneId: 'Europe/London' });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  await page.goto(app.url);
  return new MessengerPage(page);
}

async function waitForOnline(person: MessengerPage): Promise<void> {
  await expect(person.connection).toContainText('Online', { timeout: 30_000 });
}

/** `person` sends `text` and `viewer` (who has that conversation open) sees it arrive. */
async function say(person: MessengerPage, text: string, viewer: MessengerPage): Promise<void> {
  await person.send(text);
  await expect(viewer.message(text)).toBeVisible({ timeout: 30_000 });
}

async function directConversation(alice: MessengerPage, bob: MessengerPage, carol: MessengerPage): Promise<void> {
  await alice.startConversation(BOB.username);
  await alice.send('Hi Bob! Are you free this weekend?');
  await expect(bob.conversationWith(ALICE.displayName)).toBeVisible({ timeout: 30_000 });
  await bob.openConversationWith(ALICE.displayName);
  await say(bob, 'I think so, why?', alice);
  await say(alice, 'Carol and I are going to the lake. Come with us!', bob);
  await bob.replyTo('Carol and I are going to the lake', ALICE.displayName, 'Count me in! I can bring the tent.');
  await expect(alice.message('Count me in!')).toBeVisible({ timeout: 30_000 });
  await alice.react('Count me in!', '🎉');
  await expect(bob.reaction('Count me in!', '🎉', 1)).toBeVisible({ timeout: 30_000 });

  // Carol writes to Alice too: it waits, unread, in Alice's list while she is in the group.
  await carol.startConversation(ALICE.username);
  await carol.send('Did you see the forecast? Sunny all weekend ☀️');
  await expect(alice.conversationWith(CAROL.displayName)).toBeVisible({ timeout: 30_000 });
}

async function openGroupInfo(person: MessengerPage): Promise<Locator> {
  await person.page.getByRole('button', { name: 'Group info' }).click();
  const dialog = person.page.getByRole('dialog', { name: 'Group info' });
  await expect(dialog.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(3);
  return dialog;
}

async function group(alice: MessengerPage, bob: MessengerPage, carol: MessengerPage): Promise<void> {
  await alice.page.getByRole('button', { name: 'New group' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByRole('textbox', { name: 'Group name' }).fill(GROUP);
  for (const username of [BOB.username, CAROL.username]) {
    await dialog.getByRole('textbox', { name: 'Add people' }).fill(username);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(dialog.getByRole('button', { name: `Remove ${username}` })).toBeVisible();
  }
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();
  await expect(alice.log).toBeVisible();

  for (const person of [bob, carol]) {
    await expect(person.conversationWith(GROUP)).toBeVisible({ timeout: 30_000 });
    await person.openConversationWith(GROUP);
  }

  await say(alice, 'The lake house is booked for Saturday and Sunday 🏡', bob);
  await say(bob, 'Amazing! Who is driving?', alice);
  await say(carol, 'I can drive, my car fits all three of us and the bags.', alice);
  await say(alice, 'Perfect. Let’s leave at 9 from mine.', carol);
  await alice.edit('Perfect. Let’s leave at 9 from mine.', 'Perfect. Let’s leave at 8:30 from mine, before the traffic.');
  await expect(bob.message('leave at 8:30')).toContainText('edited', { timeout: 30_000 });
  await say(bob, 'I’ll bring the tent and the camping stove.', alice);
  await say(carol, 'Snacks and the playlist are on me 🎶', alice);
  await bob.react('Snacks and the playlist', '❤️');
  await expect(alice.reaction('Snacks and the playlist', '❤️', 1)).toBeVisible({ timeout: 30_000 });
  await say(alice, 'See you all on Saturday!', bob);
  // Both have the group open, so both read it: Alice's ticks say so.
  await expect(alice.status('See you all on Saturday!', 'Read')).toBeVisible({ timeout: 30_000 });
}

/** The window at rest: online, nobody typing, no focus ring or hover, fonts loaded. */
async function settle(person: MessengerPage): Promise<void> {
  await waitForOnline(person);
  await expect(person.page.getByRole('status', { name: 'Typing' })).toHaveText('', { timeout: 30_000 });
  await person.page.evaluate('document.activeElement && document.activeElement.blur()');
  await person.page.mouse.move(VIEWPORT.width - 1, VIEWPORT.height - 1);
  await person.page.evaluate('document.fonts.ready.then(() => undefined)');
}

async function shoot(page: Page, name: string, written: string[]): Promise<void> {
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  written.push(file);
}

async function photograph(alice: MessengerPage): Promise<string[]> {
  const { page } = alice;
  const written: string[] = [];
  mkdirSync(OUT_DIR, { recursive: true });
  await alice.openConversationWith(GROUP);
  await expect(alice.message('See you all on Saturday!')).toBeInViewport();

  step = 'photographing the group (light)';
  await page.emulateMedia({ colorScheme: 'light' });
  await settle(alice);
  await shoot(page, 'light', written);

  step = 'photographing the group (dark)';
  await page.emulateMedia({ colorScheme: 'dark' });
  await settle(alice);
  await shoot(page, 'dark', written);

  step = 'photographing a search';
  await page.emulateMedia({ colorScheme: 'light' });
  const results = page.getByRole('list', { name: 'Search results' });
  await page.getByRole('textbox', { name: 'Search' }).fill('tent');
  await expect(results).toHaveAttribute('aria-busy', 'false');
  await expect(results.getByRole('listitem')).toHaveCount(2);
  await settle(alice);
  await shoot(page, 'search', written);

  step = 'photographing the group info';
  await page.getByRole('textbox', { name: 'Search' }).fill('');
  await expect(alice.conversations).toBeVisible();
  // Bob becomes an admin only now: its notice would push the top of the group out of the pictures above.
  const info = await openGroupInfo(alice);
  await info.getByRole('button', { name: `Make ${BOB.displayName} an admin` }).click();
  const bobsRow = info.getByRole('list', { name: 'Members' }).getByRole('listitem').filter({ hasText: BOB.displayName });
  await expect(bobsRow).toContainText('Admin');
  // Until the server has it, the row says the change is still on its way.
  await expect(bobsRow).not.toContainText('Waiting to be sent');
  await expect(alice.log.getByRole('note').filter({ hasText: 'made Bob Builder an admin' })).toBeVisible();
  await settle(alice);
  await shoot(page, 'group-info', written);
  return written;
}

async function main(): Promise<void> {
  // Ctrl-C stops what was started and removes the temporary folder too.
  onShutdownSignal(async () => {
    interrupted = true;
    await stopAll();
  });
  const workDir = mkdtempSync(path.join(tmpdir(), 'messenger-screenshots-'));
  cleanups.push(async () => rmSync(workDir, { recursive: true, force: true }));
  const started = Date.now();

  step = 'starting the sync server and the browser hosts';
  const server = await startServer(path.join(workDir, 'server'));
  const apps = await Promise.all([ALICE, BOB, CAROL].map((person) => startHost(path.join(workDir, person.username), server.url)));

  step = 'launching Chromium';
  const browser = await chromium.launch(launchOptionsFor(await chooseChromium()));
  cleanups.push(() => browser.close());
  const [alice, bob, carol] = await Promise.all(apps.map((app) => openWindow(browser, app)));

  step = 'creating the accounts';
  await bob!.createAccount(BOB.username, BOB.displayName);
  await carol!.createAccount(CAROL.username, CAROL.displayName);
  await alice!.createAccount(ALICE.username, ALICE.displayName);
  for (const person of [alice!, bob!, carol!]) await waitForOnline(person);

  step = 'playing the direct conversation';
  await directConversation(alice!, bob!, carol!);
  step = 'playing the group';
  await group(alice!, bob!, carol!);

  const written = await photograph(alice!);
  step = 'stopping';
  await stopAll();

  for (const file of written) {
    const bytes = statSync(file).size;
    const note = bytes > LARGE_BYTES ? `  (over ${LARGE_BYTES / 1024} KB: worth a look before committing)` : '';
    console.log(`${path.relative(ROOT, file)}  ${(bytes / 1024).toFixed(0)} KB${note}`);
  }
  console.log(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

main().catch(async (error: unknown) => {
  if (interrupted) return;
  console.error(`Screenshots failed while ${step}: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll();
  process.exit(1);
});
