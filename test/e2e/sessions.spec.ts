/**
 * Issue 12: sessions end. A person sees the devices signed in to their account in Settings, signs
 * the others out from there (they land on the sign-in screen at once), and changes their password.
 */
import { expect, test } from './support/app.js';
import { aliceAndBob, anotherDevice, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

test('Settings lists this account’s sessions, ends the others, and changes the password', async ({ launchApp }) => {
  const { alice, server } = await aliceAndBob(launchApp, resources, 'sessions');
  const laptop = await anotherDevice(launchApp, 'sessions', server.url, 'alice', alice);

  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  const sessions = settings.getByRole('list', { name: 'Sessions', exact: true }).getByRole('listitem');
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ hasText: 'This device' })).toHaveCount(1);
  await expect(sessions.filter({ hasText: 'Messenger on ' })).toHaveCount(2);
  await expect(sessions.filter({ hasText: 'Last used' }).getByRole('button', { name: 'End session' })).toBeVisible();

  await settings.getByRole('button', { name: 'End all other sessions' }).click();
  await expect(settings.getByRole('region', { name: 'Sessions' }).getByRole('status')).toContainText('1 other session ended.');
  await expect(sessions).toHaveCount(1);
  // The laptop is signed out at once: it shows the sign-in screen.
  await expect(laptop.page.getByRole('tab', { name: 'Log in' })).toBeVisible();

  const password = settings.getByRole('region', { name: 'Password' });
  await password.getByRole('textbox', { name: 'Current password' }).fill('a long enough password');
  await password.getByRole('textbox', { name: 'New password' }).fill('an even longer password');
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(password.getByRole('status')).toContainText('Password changed.');
  await laptop.logIn('alice', 'an even longer password');
});
