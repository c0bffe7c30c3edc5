import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { cleanedUpAfterEach, threePeople } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

/** A group of the person's, with these people (by username), created through the New group dialog. */
test('a message forwarded offline to two conversations reaches each once, named after its author', async ({ launchApp }) => {
  const { alice, bob, carol, aliceNetwork } = await threePeople(launchApp, resources, 'forward');

  // Bob writes to Alice; one of his messages he deletes again.
  await bob.startConversation('alice');
  await bob.send('Lunch at noon?');
  await bob.send('Scratch that');
  await bob.deleteForEveryone('Scratch that');
  await expect(bob.deletedMessages).toHaveCount(1);

  // Alice knows Carol (who accepted her), and has a group with both of them.
  await alice.startConversation('carol');
  await carol.acceptRequestFrom('Alice Liddell');
  await alice.createGroup('Trip', ['bob', 'carol']);
  await expect(bob.conversationWith('Trip')).toBeVisible({ timeout: 30_000 });
  await expect(carol.conversationWith('Trip')).toBeVisible({ timeout: 30_000 });

  await alice.openConversationWith('Bob Builder');
  await expect(alice.message('Lunch at noon?')).toBeVisible();
  // A deleted message cannot be forwarded: its tombstone offers no Forward.
  await expect(alice.deletedMessages).toHaveCount(1);
  await alice.deletedMessages.hover();
  await expect(alice.deletedMessages.getByRole('button', { name: 'Forward' })).toHaveCount(0);

  aliceNetwork.cut();
  await expect(alice.connection).toContainText('Offline');

  const original = alice.message('Lunch at noon?');
  await original.hover();
  await original.getByRole('button', { name: 'Forward', exact: true }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'Forward message' });
  await expect(dialog).toBeVisible();
  // Every conversation Alice is in, named as her conversation list names it.
  for (const name of ['Bob Builder', 'Carol Chen', 'Trip']) {
    await expect(dialog.getByRole('checkbox', { name, exact: true })).toBeVisible();
  }
  await dialog.getByRole('checkbox', { name: 'Carol Chen', exact: true }).check();
  await dialog.getByRole('checkbox', { name: 'Trip', exact: true }).check();
  await dialog.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(dialog).toBeHidden();

  // Shown at once in both conversations, offline, waiting to be sent.
  for (const name of ['Carol Chen', 'Trip']) {
    await alice.openConversationWith(name);
    await expect(alice.message('Lunch at noon?')).toHaveCount(1);
    await expect(alice.message('Lunch at noon?')).toContainText('Forwarded from Bob Builder');
    await expect(alice.status('Lunch at noon?', 'Sending')).toBeVisible();
  }

  aliceNetwork.restore();
  await expect(alice.connection).toContainText('Online', { timeout: 45_000 });
  await expect(alice.status('Lunch at noon?', 'Sending')).toHaveCount(0, { timeout: 45_000 });

  // Carol gets it in both conversations, Bob in the group: each once, with its author's name.
  const arrivals: [MessengerPage, string][] = [
    [carol, 'Alice Liddell'],
    [carol, 'Trip'],
    [bob, 'Trip'],
  ];
  for (const [person, name] of arrivals) {
    await person.openConversationWith(name);
    await expect(person.message('Lunch at noon?')).toBeVisible({ timeout: 45_000 });
    await expect(person.message('Lunch at noon?')).toContainText('Forwarded from Bob Builder');
  }
  await expect(alice.status('Lunch at noon?', 'Read')).toBeVisible({ timeout: 30_000 });

  // Read again from each mirror after a reload: still exactly once.
  for (const [person, name] of arrivals) {
    await person.page.reload();
    await person.openConversationWith(name);
    await expect(person.message('Lunch at noon?')).toHaveCount(1);
    await expect(person.log.getByText('Forwarded from Bob Builder')).toHaveCount(1);
  }
  await alice.page.reload();
  for (const name of ['Carol Chen', 'Trip']) {
    await alice.openConversationWith(name);
    await expect(alice.message('Lunch at noon?')).toHaveCount(1);
  }
});
