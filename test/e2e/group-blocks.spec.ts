import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { cleanedUpAfterEach, threePeople } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

/** Blocks or unblocks a member from "Group info" (the open group), and closes it. */
async function toggleBlockInGroupInfo(person: MessengerPage, action: string, after: string) {
  await person.page.getByRole('button', { name: 'Group info' }).click();
  const groupInfo = person.page.getByRole('dialog', { name: 'Group info' });
  await groupInfo.getByRole('button', { name: action }).click();
  await expect(groupInfo.getByRole('button', { name: after })).toBeVisible();
  await person.page.keyboard.press('Escape');
  await expect(groupInfo).toBeHidden();
}

test('blocking a member from Group info: what they write in the group never reaches you, the others still get it, unblocking lets new messages through', async ({
  launchApp,
}) => {
  const { alice, bob, carol } = await threePeople(launchApp, resources, 'group-blocks');
  await alice.startConversation('bob');
  await alice.startConversation('carol');
  await bob.acceptRequestFrom('Alice Liddell');
  await carol.acceptRequestFrom('Alice Liddell');
  await alice.createGroup('Book club', ['bob', 'carol']);
  await alice.openConversationWith('Book club');
  await bob.openConversationWith('Book club');
  await carol.openConversationWith('Book club');

  await bob.send('Before the block');
  await expect(alice.message('Before the block')).toBeVisible();

  await toggleBlockInGroupInfo(alice, 'Block Bob Builder', 'Unblock Bob Builder');
  await bob.send('While blocked');
  await expect(carol.message('While blocked')).toBeVisible();
  // Carol's next message reaches Alice: by then Bob's, sent before it, would have too.
  await carol.send('Carol here');
  await expect(alice.message('Carol here')).toBeVisible();
  await expect(alice.message('While blocked')).toHaveCount(0);
  await expect(alice.message('Before the block')).toBeVisible();

  await toggleBlockInGroupInfo(alice, 'Unblock Bob Builder', 'Block Bob Builder');
  await bob.send('After unblocking');
  await expect(alice.message('After unblocking')).toBeVisible();
  await expect(alice.message('While blocked')).toHaveCount(0);
});
