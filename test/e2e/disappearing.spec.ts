/**
 * Issue 33: disappearing messages, as two people use them. Alice sets 30 seconds from the
 * conversation menu; both see the notice and the header's stopwatch; her message carries the timer
 * and goes from both screens (hers 30 s after it was sent, Bob's 30 s after he read it), from the
 * conversation list and from search, while Bob's reply to it, written once the timer was off,
 * stays and says its quote has disappeared. Bob sets the timer again and a message of his goes the
 * same way. The server keeps no ciphertext of either, and Bob's laptop, offline all the while,
 * catches up without ever showing them, not even as deleted.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { Locator } from '@playwright/test';
import { SERVER_DATABASE_FILE } from '../../sync/server/store/sqlite-server-store.js';
import { filesHolding } from '../support/stored-bytes.js';
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndBob, anotherDevice, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

const MARKER = 'Vanishing zebra 42';
const BOBS_MARKER = 'Vanishing zebra 43';
const REPLY = 'Replying to the zebra';
const STAYS = 'This one stays';

/** A 30-second message goes within 30 s of being sent or read, and the list on screen follows at once. */
const GONE_WITHIN = 60_000;

/** Conversation menu → "Disappearing messages" → the timer → Save. */
async function setTimer(person: MessengerPage, choice: string) {
  await person.page.getByRole('button', { name: 'Conversation menu' }).click();
  const menu = person.page.getByRole('menu');
  await menu.getByRole('menuitem', { name: 'Disappearing messages', exact: true }).click();
  const dialog = person.page.getByRole('dialog', { name: 'Disappearing messages' });
  const timer = dialog.getByRole('radiogroup', { name: 'Timer' });
  await expect(timer.getByRole('radio')).toHaveCount(8);
  // Either person of a direct conversation sets it; only a group has the choice of who may.
  await expect(dialog.getByRole('checkbox', { name: 'Let all members change this' })).toHaveCount(0);
  await timer.getByRole('radio', { name: choice, exact: true }).check();
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog).toBeHidden();
}

function notice(person: MessengerPage, text: string): Locator {
  return person.log.getByRole('note').filter({ hasText: text });
}

function headerTimer(person: MessengerPage): Locator {
  return person.page.getByRole('img', { name: 'Disappearing messages: 30 seconds', exact: true });
}

function timerIcon(person: MessengerPage, text: string): Locator {
  return person.message(text).getByRole('img', { name: 'Disappearing message', exact: true });
}

/** Search for `query`, and the results once the search has answered; Escape clears it afterwards. */
async function search(person: MessengerPage, query: string): Promise<Locator> {
  await person.page.getByRole('textbox', { name: 'Search' }).fill(query);
  const results = person.page.getByRole('list', { name: 'Search results' });
  await expect(results).toBeVisible();
  await expect(results).toHaveAttribute('aria-busy', 'false');
  return results.getByRole('listitem');
}

async function clearSearch(person: MessengerPage) {
  await person.page.getByRole('textbox', { name: 'Search' }).press('Escape');
  await expect(person.conversations).toBeVisible();
}

/** The server's stored envelope of a message (by its client id): its ciphertext, '' once purged. */
function storedCiphertext(dataDir: string, messageId: string): string | null {
  const db = new Database(join(dataDir, SERVER_DATABASE_FILE), { readonly: true });
  try {
    const row = db.prepare("SELECT ciphertext FROM events WHERE kind = 'envelope' AND message_id = ?").get(messageId) as
      { ciphertext: string | null } | undefined;
    return row === undefined ? null : row.ciphertext;
  } finally {
    db.close();
  }
}

async function messageId(person: MessengerPage, text: string): Promise<string> {
  const id = await person.message(text).getAttribute('data-message-id');
  expect(id).toBeTruthy();
  return id!;
}

test('a 30-second message goes from both screens, the list, search and the server, and a device offline meanwhile never shows it', async ({
  launchApp,
}) => {
  test.setTimeout(240_000);
  const { alice, bob, server, serverDataDir } = await aliceAndBob(launchApp, resources, 'disappearing');
  await bob.openConversationWith('Alice Liddell');
  const laptop = await anotherDevice(launchApp, 'disappearing', server.url, 'bob', bob);
  await alice.send('Hello before the timer');
  await expect(bob.message('Hello before the timer')).toBeVisible();
  await laptop.openConversationWith('Alice Liddell');
  await expect(laptop.message('Hello before the timer')).toBeVisible();
  await laptop.setWorkOffline(true);

  // Alice sets 30 seconds: both see the notice, and the stopwatch in the header.
  await expect(headerTimer(alice)).toHaveCount(0);
  await setTimer(alice, '30 seconds');
  for (const person of [alice, bob]) {
    await expect(notice(person, 'Alice Liddell set disappearing messages to 30 seconds')).toBeVisible();
    await expect(headerTimer(person)).toBeVisible();
  }

  // Her message carries the timer; Bob has the conversation open, so he reads it as it arrives.
  await alice.send(MARKER);
  await expect(timerIcon(alice, MARKER)).toBeVisible();
  await expect(timerIcon(bob, MARKER)).toBeVisible();
  await expect(timerIcon(bob, MARKER)).toHaveAttribute('title', /^Disappears in /);
  const markerId = await messageId(alice, MARKER);
  expect(await messageId(bob, MARKER)).toBe(markerId);

  // Alice turns it off at once, so Bob's reply carries no timer and stays.
  await setTimer(alice, 'Off');
  for (const person of [alice, bob]) {
    await expect(notice(person, 'Alice Liddell turned off disappearing messages')).toBeVisible();
    await expect(headerTimer(person)).toHaveCount(0);
  }
  await bob.replyTo(MARKER, 'Alice Liddell', REPLY);
  await expect(bob.message(REPLY)).toContainText(MARKER); // the quote, while the original is there
  await expect(timerIcon(bob, REPLY)).toHaveCount(0);
  await expect(alice.message(REPLY)).toBeVisible();
  await expect(timerIcon(alice, REPLY)).toHaveCount(0);
  const replyId = await messageId(bob, REPLY);

  // Bob sets it again (either of them may) and writes a message of his own that goes the same way.
  await setTimer(bob, '30 seconds');
  for (const person of [alice, bob]) {
    await expect(notice(person, 'Bob Builder set disappearing messages to 30 seconds')).toBeVisible();
    await expect(headerTimer(person)).toBeVisible();
  }
  await bob.send(BOBS_MARKER);
  await expect(timerIcon(alice, BOBS_MARKER)).toBeVisible();
  await expect(timerIcon(bob, BOBS_MARKER)).toBeVisible();
  const bobsMarkerId = await messageId(bob, BOBS_MARKER);
  // The last message, it is what the conversation list shows, until it goes.
  await expect(alice.conversationWith('Bob Builder')).toContainText(BOBS_MARKER);
  await expect(bob.conversationWith('Alice Liddell')).toContainText(BOBS_MARKER);

  // Both go from both screens; the reply stays, its quote saying the original disappeared.
  for (const person of [alice, bob]) {
    await expect(person.message(MARKER)).toHaveCount(0, { timeout: GONE_WITHIN });
    await expect(person.message(BOBS_MARKER)).toHaveCount(0, { timeout: GONE_WITHIN });
    await expect(person.message(REPLY)).toContainText('This message has disappeared');
    await expect(person.log).not.toContainText('Vanishing');
    await expect(person.deletedMessages).toHaveCount(0);
    await expect(person.message('Hello before the timer')).toBeVisible();
  }
  // The conversation list falls back to the reply, on both sides.
  await expect(alice.conversationWith('Bob Builder')).toContainText(REPLY);
  await expect(bob.conversationWith('Alice Liddell')).toContainText(`You: ${REPLY}`);
  for (const [person, other] of [
    [alice, 'Bob Builder'],
    [bob, 'Alice Liddell'],
  ] as const) {
    await expect(person.conversationWith(other)).not.toContainText('Vanishing');
    // Search finds nothing of them: only the reply has the word "zebra" now.
    await expect(await search(person, 'vanishing')).toHaveCount(0);
    await expect(person.page.getByText('No messages found')).toBeVisible();
    const found = await search(person, 'zebra');
    await expect(found).toHaveCount(1);
    await expect(found).toContainText(REPLY);
    await clearSearch(person);
  }

  // The server purges both once read and their timers ran (its sweep runs every 10 s): no ciphertext left.
  for (const id of [markerId, bobsMarkerId]) {
    await expect.poll(() => storedCiphertext(serverDataDir, id), { timeout: 60_000, intervals: [1_000] }).toBe('');
  }
  // The query reads what it should: the reply, which has no timer, is still there.
  expect(storedCiphertext(serverDataDir, replyId)).toEqual(expect.any(String));
  expect(storedCiphertext(serverDataDir, replyId)).not.toBe('');

  // Alice turns it off and writes something that stays: the last thing Bob's laptop has to catch up.
  await setTimer(alice, 'Off');
  await alice.send(STAYS);
  await expect(bob.message(STAYS)).toBeVisible();

  // Bob's laptop comes back: the reply, the notices and what stays, never the messages that went.
  await laptop.setWorkOffline(false);
  await expect(laptop.message(STAYS)).toBeVisible({ timeout: 30_000 });
  await expect(laptop.message(REPLY)).toContainText('This message has disappeared');
  await expect(notice(laptop, 'Alice Liddell set disappearing messages to 30 seconds')).toBeVisible();
  await expect(notice(laptop, 'Bob Builder set disappearing messages to 30 seconds')).toBeVisible();
  await expect(notice(laptop, 'Alice Liddell turned off disappearing messages')).toHaveCount(2);
  await expect(laptop.log).not.toContainText('Vanishing');
  await expect(laptop.deletedMessages).toHaveCount(0);
  await expect(laptop.log.getByRole('article')).toHaveCount(3); // hello, the reply, what stays
  await expect(laptop.conversationWith('Alice Liddell')).not.toContainText('Vanishing');

  // What the server stored never held either text (sealed end to end, and purged besides).
  expect(filesHolding(serverDataDir, MARKER)).toEqual([]);
  expect(filesHolding(serverDataDir, BOBS_MARKER)).toEqual([]);
});
