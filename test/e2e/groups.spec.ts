import { expect, test } from './support/app.js';
import { cleanedUpAfterEach, threePeople } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

test('a group created offline reaches everyone; names, ticks, removal and leaving', async ({ launchApp }) => {
  const { alice, bob, carol, aliceNetwork } = await threePeople(launchApp, resources, 'groups');

  // Alice has talked to Bob and Carol before, so she knows them without the server, and they
  // accepted her: her group is no message request to them.
  await alice.startConversation('bob');
  await alice.startConversation('carol');
  await bob.acceptRequestFrom('Alice Liddell');
  await carol.acceptRequestFrom('Alice Liddell');

  aliceNetwork.cut();
  await expect(alice.connection).toContainText('Offline');
  await alice.page.getByRole('button', { name: 'New group' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByRole('textbox', { name: 'Group name' }).fill('Trip');
  for (const username of ['bob', 'carol']) {
    await dialog.getByRole('textbox', { name: 'Add people' }).fill(username);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(dialog.getByRole('button', { name: `Remove ${username}` })).toBeVisible();
  }
  // Someone this profile has never seen cannot be found offline: said inside the dialog.
  await dialog.getByRole('textbox', { name: 'Add people' }).fill('nobody-known');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog.getByRole('alert')).toBeVisible();
  await expect(dialog.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(2);
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();

  // The group shows and takes messages at once, offline.
  await expect(alice.conversationWith('Trip')).toBeVisible();
  await alice.send('Hello group');
  await expect(alice.status('Hello group', 'Sending')).toBeVisible();

  // Back online: it is created on the server and appears for the others.
  aliceNetwork.restore();
  await expect(alice.connection).toContainText('Online', { timeout: 45_000 });
  await expect(bob.conversationWith('Trip')).toBeVisible({ timeout: 30_000 });
  await expect(carol.conversationWith('Trip')).toBeVisible({ timeout: 30_000 });
  await expect(alice.status('Hello group', 'Delivered')).toBeVisible({ timeout: 30_000 });

  // Bob reads it; Alice's message is not Read until Carol has read it too.
  await bob.openConversationWith('Trip');
  await expect(bob.message('Hello group')).toContainText('Alice Liddell');
  await expect(bob.log.getByRole('note').filter({ hasText: 'Alice Liddell created the group “Trip”' })).toBeVisible();
  await alice.messageAction('Hello group', 'Info');
  const info = alice.page.getByRole('dialog', { name: 'Message info' });
  await expect(info.getByRole('list', { name: 'Read by' })).toContainText('Bob Builder');
  await expect(info.getByRole('list', { name: 'Read by' })).not.toContainText('Carol Chen');
  await expect(alice.status('Hello group', 'Delivered')).toHaveCount(1);
  await info.getByRole('button', { name: 'Close' }).click();
  await carol.openConversationWith('Trip');
  await expect(alice.status('Hello group', 'Read')).toBeVisible();

  // Messages from others carry their sender's name; the header counts members.
  await bob.send('Hi all');
  await expect(carol.message('Hi all')).toContainText('Bob Builder');
  await expect(alice.message('Hi all')).toContainText('Bob Builder');
  await expect(alice.page.getByText('3 members, ')).toBeVisible();

  // "@" offers the members; the mention is highlighted for the person mentioned.
  const bobComposer = bob.page.getByRole('textbox', { name: 'Message' });
  await bobComposer.pressSequentially('@ali');
  await expect(bob.page.getByRole('listbox').getByRole('option', { name: /Alice Liddell/ })).toBeVisible();
  await bobComposer.press('Enter');
  await expect(bobComposer).toHaveValue('@alice ');
  await bobComposer.pressSequentially('look at this');
  await bobComposer.press('Enter');
  await expect(alice.message('look at this').locator('mark')).toHaveText('@alice');
  await expect(carol.message('look at this').locator('mark')).toHaveCount(0);

  // Alice removes Carol.
  await alice.page.getByRole('button', { name: 'Group info' }).click();
  const groupInfo = alice.page.getByRole('dialog', { name: 'Group info' });
  const members = groupInfo.getByRole('list', { name: 'Members' });
  await expect(members.getByRole('listitem').filter({ hasText: /^Alice Liddell/ })).toContainText('Owner');
  await members.getByRole('button', { name: 'Remove Carol Chen' }).click();
  await expect(members.getByRole('listitem')).toHaveCount(2);
  await groupInfo.getByRole('button', { name: 'Close' }).click();
  for (const person of [alice, bob, carol]) {
    await expect(person.log.getByRole('note').filter({ hasText: 'Alice Liddell removed Carol Chen' })).toBeVisible();
  }
  // Carol can no longer send.
  await expect(carol.page.getByText('You are no longer a member of this group')).toBeVisible();
  await expect(carol.page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);

  // Bob leaves.
  await bob.page.getByRole('button', { name: 'Group info' }).click();
  await bob.page.getByRole('dialog', { name: 'Group info' }).getByRole('button', { name: 'Leave group' }).click();
  await bob.page.getByRole('dialog', { name: 'Leave group' }).getByRole('button', { name: 'Leave', exact: true }).click();
  await expect(bob.page.getByText('You are no longer a member of this group')).toBeVisible();
  await expect(alice.log.getByRole('note').filter({ hasText: 'Bob Builder left' })).toBeVisible();
  // Carol, removed before, does not see what happened after.
  await expect(carol.log.getByRole('note').filter({ hasText: 'Bob Builder left' })).toHaveCount(0);
});
