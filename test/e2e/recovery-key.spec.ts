/**
 * Issue 31: the recovery key. Sign-up shows it once, until the person says they saved it; later
 * Settings → "Recovery key" shows the same key again, but only given the password.
 */
import { expect, test } from './support/app.js';
import { startServer, tempDir } from './support/processes.js';
import { cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();
const PASSWORD = 'a long enough password';

test('sign-up shows the recovery key until it is saved; Settings shows it again given the password', async ({ launchApp }) => {
  const serverData = tempDir('e2e-recovery-key-server-');
  resources.dirs.push(serverData);
  const server = await startServer(serverData.path);
  resources.running.push(server);
  const app = await launchApp({ name: 'recovery-key-alice', serverUrl: server.url });
  const alice = app.messenger;

  await alice.signUp('alice', 'Alice Liddell', PASSWORD);
  const dialog = alice.recoveryKeyDialog;
  const shown = await dialog.getByRole('textbox', { name: 'Recovery key' }).inputValue();
  const recoveryKey = shown.replace(/\s+/g, '');
  expect(recoveryKey).toMatch(/^[a-z0-9]{64}$/);
  // Grouped for reading: sixteen groups of four.
  expect(shown.split(' ')).toHaveLength(16);
  await expect(dialog.getByRole('textbox', { name: 'Recovery key' })).not.toBeEditable();
  await expect(dialog.getByRole('button', { name: 'Copy' })).toBeVisible();

  // Not said to be saved yet: the next start shows the same key again.
  await alice.page.reload();
  await expect(dialog.getByRole('textbox', { name: 'Recovery key' })).toHaveValue(shown);
  await dialog.getByRole('button', { name: 'I have saved it' }).click();
  await expect(dialog).toBeHidden();

  await alice.page.reload();
  await expect(alice.conversations).toBeVisible();
  // Saved: the next start does not show it again (the check runs as the main screen opens).
  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  await expect(settings).toBeVisible();
  await expect(alice.recoveryKeyDialog).toBeHidden();

  await settings.getByRole('button', { name: 'Recovery key' }).click();
  const reveal = alice.recoveryKeyDialog;
  await reveal.getByLabel('Password', { exact: true }).fill('not the password');
  await reveal.getByRole('button', { name: 'Show' }).click();
  await expect(reveal.getByRole('alert')).toContainText('That password is wrong.');
  await expect(reveal.getByRole('textbox', { name: 'Recovery key' })).toHaveCount(0);

  await reveal.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await reveal.getByRole('button', { name: 'Show' }).click();
  const again = reveal.getByRole('textbox', { name: 'Recovery key' });
  await expect(again).toBeVisible();
  expect((await again.inputValue()).replace(/\s+/g, '')).toBe(recoveryKey);
  await expect(reveal.getByRole('button', { name: 'Copy' })).toBeVisible();
  // The start's own check answered long before these calls: still only this one "Recovery key" dialog.
  await expect(alice.page.getByRole('dialog', { name: 'Recovery key' })).toHaveCount(1);
});
