import { type Locator } from '@playwright/test';
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

function searchBox(person: MessengerPage): Locator {
  return person.page.getByRole('textbox', { name: 'Search' });
}

function results(person: MessengerPage): Locator {
  return person.page.getByRole('list', { name: 'Search results' });
}

/** The result whose snippet holds this text. */
function result(person: MessengerPage, text: string | RegExp): Locator {
  return results(person).getByRole('listitem').filter({ hasText: text });
}

async function search(person: MessengerPage, query: string) {
  await searchBox(person).fill(query);
  await expect(results(person)).toBeVisible();
  await expect(results(person)).toHaveAttribute('aria-busy', 'false');
}

test('search finds an edited message by its new text and never by its old one, marking the match', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'search-edit');
  await alice.send('Lunch at noon?');
  await alice.send('See you there');
  await alice.edit('Lunch at noon?', 'Lunch at one?');
  await expect(alice.message('Lunch at one?')).toContainText('edited');

  await search(alice, 'noon');
  await expect(alice.page.getByText('No messages found')).toBeVisible();
  await expect(results(alice).getByRole('listitem')).toHaveCount(0);
  await expect(alice.conversations).toBeHidden();

  await search(alice, 'lunch');
  await expect(results(alice).getByRole('listitem')).toHaveCount(1);
  const found = result(alice, 'Lunch at one?');
  await expect(found).toContainText('Bob Builder'); // the conversation
  await expect(found).toContainText('You'); // the sender
  await expect(found.locator('time')).toBeVisible(); // the date
  await expect(found.locator('mark')).toHaveText('Lunch');
  await expect(alice.page.getByText('No messages found')).toHaveCount(0);

  // Bob's mirror received the edit: the same holds on his side, with Alice as the sender.
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Lunch at one?')).toContainText('edited');
  await search(bob, 'noon');
  await expect(bob.page.getByText('No messages found')).toBeVisible();
  await search(bob, 'one lunch');
  const bobs = result(bob, 'Lunch at one?');
  await expect(bobs).toContainText('Alice Liddell');
  await expect(bobs.locator('mark')).toHaveText(['Lunch', 'one']);

  // What is typed is words, never query syntax.
  await search(bob, '"lunch" -one* (');
  await expect(result(bob, 'Lunch at one?')).toBeVisible();
  await search(bob, 'zebra');
  await expect(bob.page.getByText('No messages found')).toBeVisible();
});

test('Ctrl+K focuses the search box from anywhere and Escape clears it', async ({ launchApp }) => {
  const { alice } = await aliceAndBob(launchApp, resources, 'search-keys');
  await alice.send('Just checking in');
  const composer = alice.page.getByRole('textbox', { name: 'Message' });
  await composer.click();
  await expect(composer).toBeFocused();

  await alice.page.keyboard.press('Control+K');
  await expect(searchBox(alice)).toBeFocused();
  await alice.page.keyboard.type('check');
  await expect(result(alice, 'Just checking in')).toBeVisible();
  await expect(alice.conversations).toBeHidden();

  await alice.page.keyboard.press('Escape');
  await expect(searchBox(alice)).toHaveValue('');
  await expect(results(alice)).toBeHidden();
  await expect(alice.conversationWith('Bob Builder')).toBeVisible();

  // From a result too: Escape empties the search and focus goes back to the box.
  await alice.page.keyboard.type('just');
  await result(alice, 'Just checking in').getByRole('button').focus();
  await alice.page.keyboard.press('Escape');
  await expect(searchBox(alice)).toHaveValue('');
  await expect(searchBox(alice)).toBeFocused();
  await expect(alice.conversations).toBeVisible();
});

test('search ignores case and finds prefixes, Cyrillic included', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'search-words');
  await alice.send('Привет, Боб! Как дела?');
  await alice.send('The parcel was delivered this morning');
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('The parcel was delivered')).toBeVisible();

  await search(bob, 'привет');
  await expect(result(bob, 'Привет').locator('mark')).toHaveText('Привет');
  await search(bob, 'ДЕЛА');
  await expect(result(bob, 'Привет').locator('mark')).toHaveText('дела');
  await search(bob, 'deliv');
  await expect(results(bob).getByRole('listitem')).toHaveCount(1);
  await expect(result(bob, 'delivered').locator('mark')).toHaveText('delivered');
  await search(bob, 'parcel morn');
  await expect(result(bob, 'delivered').locator('mark')).toHaveText(['parcel', 'morning']);
});

test('a result opens its conversation at the message, by click or by Enter, and the query stays', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'search-open');
  for (const text of ['Apples are red', 'Bananas are yellow', 'Cherries are red too', 'Dates are brown']) await alice.send(text);
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();

  // Bob has not opened the conversation yet: the result opens it.
  await search(bob, 'red');
  await expect(results(bob).getByRole('listitem')).toHaveCount(2);
  // Newest first.
  await expect(results(bob).getByRole('listitem').first()).toContainText('Cherries are red too');
  await result(bob, 'Apples are red').getByRole('button').click();
  await expect(bob.log).toBeVisible();
  await expect(bob.message('Apples are red')).toHaveAttribute('aria-current', 'true');
  await expect(bob.message('Apples are red')).toBeInViewport();
  await expect(searchBox(bob)).toHaveValue('red');
  await expect(results(bob)).toBeVisible();

  // From the box: Enter opens the selected result; the arrow keys move the selection.
  await searchBox(bob).fill('are');
  await expect(results(bob).getByRole('listitem')).toHaveCount(4);
  await searchBox(bob).press('ArrowDown');
  await searchBox(bob).press('ArrowDown');
  await searchBox(bob).press('ArrowUp');
  await searchBox(bob).press('Enter');
  // The second newest.
  await expect(bob.message('Cherries are red too')).toHaveAttribute('aria-current', 'true');
  await expect(bob.message('Apples are red')).not.toHaveAttribute('aria-current', 'true');
  await expect(searchBox(bob)).toHaveValue('are');

  // Typing and Enter at once opens the answer to what was typed, never a stale one.
  await searchBox(bob).fill('dates');
  await searchBox(bob).press('Enter');
  await expect(bob.message('Dates are brown')).toHaveAttribute('aria-current', 'true');
});
