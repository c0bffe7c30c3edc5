import { expect, test } from './support/app.js';
import { pngImage } from './support/files.js';
import type { MessengerPage } from './support/messenger-page.js';
import { cleanedUpAfterEach, threePeople } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

const requestList = (person: MessengerPage) => person.page.getByRole('list', { name: 'Message requests' });

test('a stranger’s message waits in "Message requests": no receipt, no picture, no unread count until "Accept"', async ({
  launchApp,
}) => {
  const { alice, bob } = await threePeople(launchApp, resources, 'requests');

  // Alice, whom Bob has never written to, writes to him: words and a picture.
  await alice.startConversation('bob');
  await alice.send('Hello Bob, it is Alice from the conference');
  const chooser = alice.page.waitForEvent('filechooser');
  await alice.page.getByRole('button', { name: 'Attach', exact: true }).click();
  await (await chooser).setFiles([{ name: 'photo.png', mimeType: 'image/png', buffer: pngImage(320, 200) }]);
  await expect(alice.page.getByRole('button', { name: 'Send', exact: true })).toBeEnabled();
  await alice.send('My badge');

  // Bob: not among his conversations, not in the window's unread count; one request waiting.
  await expect(bob.requestsButton).toBeVisible();
  await expect(bob.requestsButton).toHaveAccessibleDescription('1 waiting');
  await expect(bob.conversationWith('Alice Liddell')).toHaveCount(0);
  await expect(bob.page).toHaveTitle('Messenger');

  await bob.requestsButton.click();
  await requestList(bob)
    .getByRole('button', { name: /^Alice Liddell/ })
    .click();
  await expect(bob.message('Hello Bob, it is Alice from the conference')).toBeVisible();
  const picture = bob.message('My badge');
  await expect(picture.getByRole('button', { name: 'Save photo.png' })).toBeVisible();
  await expect(picture.getByRole('img', { name: 'photo.png' })).toHaveCount(0);
  await expect(bob.page.getByText('Alice Liddell isn’t one of your contacts.', { exact: false })).toBeVisible();
  for (const name of ['Accept', 'Delete', 'Block']) {
    await expect(bob.page.getByRole('button', { name, exact: true })).toBeVisible();
  }
  // Bob has seen both messages; Alice is told nothing, not even that they arrived.
  await expect(alice.status('Hello Bob, it is Alice from the conference', 'Sent')).toBeVisible();
  await expect(alice.status('My badge', 'Sent')).toBeVisible();

  await bob.page.getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(alice.status('My badge', 'Read')).toBeVisible();
  await expect(picture.getByRole('img', { name: 'photo.png' })).toBeVisible({ timeout: 30_000 });
  await expect(bob.page.getByRole('button', { name: 'Accept', exact: true })).toHaveCount(0);
  await bob.page.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await expect(bob.requestsButton).toHaveCount(0);
});

test('"Delete" leaves a stranger’s group; with "Who can add me to groups" at "My contacts" the next add is refused in words', async ({
  launchApp,
}) => {
  const { bob, carol } = await threePeople(launchApp, resources, 'request-groups');

  await carol.createGroup('Giveaway', ['bob']);
  await carol.send('Win a prize, click here');
  await bob.requestsButton.click();
  await requestList(bob)
    .getByRole('button', { name: /^Giveaway/ })
    .click();
  await expect(bob.message('Win a prize, click here')).toBeVisible();
  await expect(
    bob.page.getByText('Carol Chen, who isn’t one of your contacts, added you to this group.', { exact: false }),
  ).toBeVisible();
  await bob.page.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(requestList(bob).getByRole('listitem')).toHaveCount(0);
  await expect(carol.log.getByRole('note').filter({ hasText: 'Bob Builder left' })).toBeVisible();

  await bob.page.getByRole('button', { name: 'Back', exact: true }).click();
  await bob.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = bob.page.getByRole('dialog', { name: 'Settings' });
  const groupAdds = settings.getByRole('radiogroup', { name: 'Who can add me to groups' });
  await expect(groupAdds.getByRole('radio', { name: 'Everyone' })).toBeChecked();
  // Offline, the choice holds here at once and waits for the server, which enforces it; the section says so.
  const workOffline = settings.getByRole('switch', { name: 'Work offline' });
  await workOffline.click();
  await expect(bob.connection).toContainText('Offline');
  await groupAdds.getByRole('radio', { name: 'My contacts' }).check();
  await expect(groupAdds.getByRole('radio', { name: 'My contacts' })).toBeChecked();
  const privacyChanges = settings.getByRole('status', { name: 'Privacy changes' });
  await expect(privacyChanges).toHaveText(
    'Your change takes effect for others once it reaches the server, when this device is online.',
  );
  await workOffline.click();
  await expect(bob.connection).toContainText('Online');
  await expect(privacyChanges).toHaveText('');
  await settings.getByRole('button', { name: 'Close' }).first().click();

  // Carol is no contact of Bob's: the server refuses her next group with him, and she is told so.
  await carol.createGroup('Giveaway again', ['bob']);
  await expect(carol.page.getByText("Bob Builder can't be added to groups by you.", { exact: false })).toBeVisible({
    timeout: 30_000,
  });
  await expect(bob.requestsButton).toHaveCount(0);
});
