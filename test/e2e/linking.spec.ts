/**
 * Issue 31: linking a device. Logging in with the password on a new device, while the account's
 * identity is on another, shows "Link this device" with a link code (text and QR code); on the
 * other device Settings → "Linked devices" → "Link a new device" takes the code, asks "Link
 * <device>?", and hands the identity over; the new device then opens on the conversations.
 * "Unlink" in the same list signs it out at once.
 */
import { expect, test } from './support/app.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

test('a device logged in with the password is linked from another with its link code', async ({ launchApp }) => {
  const { alice, server } = await aliceAndBob(launchApp, resources, 'linking');
  await alice.openConversationWith('Bob Builder');
  await alice.send('Written before the laptop was linked');

  const { messenger: laptop } = await launchApp({ name: 'linking-alice-laptop', serverUrl: server.url });
  const code = await laptop.logInToBeLinked('alice');
  const screen = laptop.linkScreen;
  await expect(screen.getByRole('img', { name: 'Link code as a QR code' })).toBeVisible();
  await expect(screen.getByRole('textbox', { name: 'Link code' })).not.toBeEditable();
  // Nothing of the account shows before it is linked.
  await expect(laptop.conversations).toBeHidden();

  // A code typed wrong is refused in words, and nothing is asked.
  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('region', { name: 'Linked devices' }).getByRole('button', { name: 'Link a new device' }).click();
  const enter = alice.page.getByRole('dialog', { name: 'Link a new device' });
  await enter.getByRole('textbox', { name: 'Link code' }).fill(code.slice(0, -3));
  await enter.getByRole('button', { name: 'Link', exact: true }).click();
  await expect(enter.getByRole('alert')).toContainText('That isn’t a link code.');
  await enter.getByRole('button', { name: 'Cancel' }).click();
  await expect(enter).toBeHidden();
  await settings.getByRole('button', { name: 'Close', exact: true }).click();

  await alice.linkDevice(code);
  await expect(laptop.linkScreen).toBeHidden();
  await expect(laptop.conversations).toBeVisible();
  await laptop.openConversationWith('Bob Builder');
  await expect(laptop.log.getByText('Written before the laptop was linked')).toBeVisible();
  // The laptop has the account's recovery key now, shown given the password.
  await laptop.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const laptopSettings = laptop.page.getByRole('dialog', { name: 'Settings' });
  await laptopSettings.getByRole('button', { name: 'Recovery key' }).click();
  const reveal = laptop.page.getByRole('dialog', { name: 'Recovery key' });
  await reveal.getByLabel('Password').fill('a long enough password');
  await reveal.getByRole('button', { name: 'Show' }).click();
  await expect(reveal.getByRole('textbox', { name: 'Recovery key' })).toHaveValue(/^([a-z0-9]{4} ){15}[a-z0-9]{4}$/);

  await reveal.getByRole('button', { name: 'Close' }).click();

  // "Unlink" from the phone: the laptop is signed out at once.
  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const devices = settings.getByRole('list', { name: 'Linked devices' }).getByRole('listitem');
  await expect(devices).toHaveCount(2);
  await expect(devices.filter({ hasText: 'This device' })).toHaveCount(1);
  await devices.filter({ hasText: 'Last seen' }).getByRole('button', { name: 'Unlink' }).click();
  await expect(settings.getByRole('region', { name: 'Linked devices' }).getByRole('status')).toContainText('is unlinked.');
  await expect(devices).toHaveCount(1);
  await expect(laptop.page.getByRole('tab', { name: 'Log in' })).toBeVisible();
});

test('with no other device at hand, the recovery key restores the identity on a device logged in with the password', async ({
  launchApp,
}) => {
  const { alice, server } = await aliceAndBob(launchApp, resources, 'restore');
  await alice.openConversationWith('Bob Builder');
  await alice.send('Written on the phone');
  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  await settings.getByRole('button', { name: 'Recovery key' }).click();
  const reveal = alice.page.getByRole('dialog', { name: 'Recovery key' });
  await reveal.getByLabel('Password').fill('a long enough password');
  await reveal.getByRole('button', { name: 'Show' }).click();
  const recoveryKey = await reveal.getByRole('textbox', { name: 'Recovery key' }).inputValue();
  await reveal.getByRole('button', { name: 'Close' }).click();

  const { messenger: laptop } = await launchApp({ name: 'restore-alice-laptop', serverUrl: server.url });
  await laptop.logInToBeLinked('alice');
  await laptop.linkScreen.getByRole('button', { name: 'Use recovery key instead' }).click();
  // Written down in groups, perhaps in capitals: taken as typed.
  await laptop.linkScreen.getByRole('textbox', { name: 'Recovery key' }).fill('wrong key '.repeat(7));
  await laptop.linkScreen.getByRole('button', { name: 'Restore' }).click();
  await expect(laptop.linkScreen.getByRole('alert')).toContainText('doesn’t open this account’s key backup');
  await laptop.linkScreen.getByRole('textbox', { name: 'Recovery key' }).fill(recoveryKey.toUpperCase());
  await laptop.linkScreen.getByRole('button', { name: 'Restore' }).click();
  await expect(laptop.linkScreen).toBeHidden();
  await expect(laptop.conversations).toBeVisible();
  await laptop.openConversationWith('Bob Builder');
  await expect(laptop.log.getByText('Written on the phone')).toBeVisible();
});

test('with no other device and no recovery key, the person starts with a new identity and is given a new recovery key', async ({
  launchApp,
}) => {
  const { server } = await aliceAndBob(launchApp, resources, 'new-identity');
  const { messenger: laptop } = await launchApp({ name: 'new-identity-alice-laptop', serverUrl: server.url });
  await laptop.logInToBeLinked('alice');
  await laptop.linkScreen.getByRole('button', { name: 'Start with a new identity' }).click();
  const dialog = laptop.page.getByRole('dialog', { name: 'Start with a new identity' });
  await expect(dialog).toContainText('safety number changed');
  await dialog.getByRole('button', { name: 'Start with a new identity' }).click();
  await expect(laptop.linkScreen).toBeHidden();
  await expect(laptop.recoveryKeyDialog).toBeVisible();
  await laptop.recoveryKeyDialog.getByRole('button', { name: 'I have saved it' }).click();
  await expect(laptop.conversations).toBeVisible();
});
