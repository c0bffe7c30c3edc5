import { expect, test } from './support/app.js';
import type { LaunchApp } from './support/running-app.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

/** Alice reaches the server through a proxy the test can cut; Bob connects directly. */
async function twoPeople(launchApp: LaunchApp) {
  const people = await aliceAndBob(launchApp, resources, 'changes');
  await people.bob.openConversationWith('Alice Liddell');
  return people;
}

/** The conversation from the issue, with Alice's edit, reaction and delete made online or offline. */
async function playConversation(alice: MessengerPage, bob: MessengerPage, aliceOffline?: TcpProxy) {
  await alice.send('Lunch at noon?');
  await expect(bob.message('Lunch at noon?')).toBeVisible();
  await bob.replyTo('Lunch at noon?', 'Alice Liddell', 'Sure thing');
  const bobsReply = bob.message('Sure thing');
  await expect(bobsReply).toContainText('Lunch at noon?'); // the quote
  await expect(alice.message('Sure thing')).toBeVisible();

  if (aliceOffline) {
    aliceOffline.cut();
    await expect(alice.connection).toContainText('Offline');
  }
  await alice.react('Sure thing', '👍');
  await expect(alice.reaction('Sure thing', '👍', 1)).toBeVisible();
  await alice.edit('Lunch at noon?', 'Lunch at one?');
  await expect(alice.message('Lunch at one?')).toContainText('edited');

  if (aliceOffline) {
    // Nothing has reached Bob while Alice is away.
    await expect(bob.reaction('Sure thing', '👍', 1)).toHaveCount(0);
    await expect(bob.message('Lunch at noon?')).not.toContainText('edited');
  } else {
    await expect(bob.reaction('Sure thing', '👍', 1)).toBeVisible();
    await expect(bob.message('Lunch at one?')).toContainText('edited');
    await expect(bobsReply).toContainText('Lunch at one?');
  }

  await alice.deleteForEveryone('Lunch at one?');
  await expect(alice.deletedMessages).toHaveCount(1);

  if (aliceOffline) {
    aliceOffline.restore();
    await expect(alice.connection).toContainText('Online', { timeout: 45_000 });
  }

  // Bob ends with the first message deleted, his reply quoting a deleted message, and 👍 on it.
  await expect(bob.deletedMessages).toHaveCount(1, { timeout: 30_000 });
  await expect(bob.message('Lunch at')).toHaveCount(0);
  await expect(bobsReply).toContainText('This message was deleted');
  await expect(bob.reaction('Sure thing', '👍', 1)).toBeVisible();
  await expect(bob.log.getByRole('article')).toHaveCount(2);
  await expect(alice.log.getByRole('article')).toHaveCount(2);
}

test('reply, react, edit and delete travel between two people, and the quote follows', async ({ launchApp }) => {
  const { alice, bob } = await twoPeople(launchApp);
  await playConversation(alice, bob);
});

test('the same with Alice offline for the reaction, edit and delete: all arrive once, in order', async ({ launchApp }) => {
  const { alice, bob, aliceNetwork } = await twoPeople(launchApp);
  await playConversation(alice, bob, aliceNetwork);
  // Bob joins the reaction with one click; both see the count, and he can take his back.
  await bob.reaction('Sure thing', '👍', 1).click();
  await expect(alice.reaction('Sure thing', '👍', 2)).toBeVisible();
  await bob.reaction('Sure thing', '👍', 2).click();
  await expect(alice.reaction('Sure thing', '👍', 1)).toBeVisible();
});
