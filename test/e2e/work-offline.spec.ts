/**
 * Issue 13: QA's "Work offline" switch in Settings, and the theme. With Work offline on, Alice's
 * app says Offline (no other state), her messages wait as Sending and Bob gets nothing; switched
 * off, it says Online and Bob gets both, once each, in order. The Theme combobox forces the dark
 * colours whatever the system prefers.
 */
import { expect, test } from './support/app.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

test('Work offline in Settings disconnects until switched off; what was sent meanwhile arrives once, in order', async ({
  launchApp,
}) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'work-offline');
  await alice.send('Before');
  await expect(alice.status('Before', 'Delivered')).toBeVisible();
  await expect(alice.connection).toContainText('Online');

  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = alice.page.getByRole('dialog', { name: 'Settings' });
  const workOffline = settings.getByRole('switch', { name: 'Work offline' });
  await expect(workOffline).not.toBeChecked();
  await workOffline.click();
  await expect(workOffline).toBeChecked();
  await expect(alice.connection).toContainText('Offline');
  await alice.page.keyboard.press('Escape');
  await expect(settings).toBeHidden();

  await alice.send('First while offline');
  await alice.send('Second while offline');
  for (const text of ['First while offline', 'Second while offline']) {
    await expect(alice.status(text, 'Sending')).toBeVisible();
  }
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Before')).toBeVisible();
  // Long enough for a reconnect after a drop (at most half a second, then a second).
  await alice.page.waitForTimeout(2_000);
  await expect(alice.connection).toContainText('Offline');
  await expect(bob.message('First while offline')).toHaveCount(0);

  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  await settings.getByRole('switch', { name: 'Work offline' }).click();
  await expect(settings.getByRole('switch', { name: 'Work offline' })).not.toBeChecked();
  await expect(alice.connection).toContainText('Online');
  for (const text of ['First while offline', 'Second while offline']) {
    await expect(bob.message(text)).toHaveCount(1);
    await expect(alice.status(text, 'Read')).toBeVisible();
  }
  const bobSees = await bob.messageTexts();
  const positions = ['Before', 'First while offline', 'Second while offline'].map((text) =>
    bobSees.findIndex((line) => line.includes(text)),
  );
  expect(positions).toEqual([0, 1, 2]);
  expect(bobSees).toHaveLength(3);
});

test('Theme: Dark gives the dark colours on a light system, System gives the light ones back', async ({ launchApp }) => {
  const { alice } = await aliceAndBob(launchApp, resources, 'theme');
  await alice.page.emulateMedia({ colorScheme: 'light' });
  const body = alice.page.locator('body');
  const root = alice.page.locator('html');
  // --bg of each theme (styles/base.css).
  const [light, dark] = ['rgb(255, 255, 255)', 'rgb(21, 22, 26)'];
  await expect(body).toHaveCSS('background-color', light);

  await alice.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const theme = alice.page.getByRole('dialog', { name: 'Settings' }).getByRole('combobox', { name: 'Theme' });
  await expect(theme).toHaveValue('system');
  await theme.selectOption({ label: 'Dark' });
  await expect(body).toHaveCSS('background-color', dark);
  // Native controls follow it too.
  await expect(root).toHaveCSS('color-scheme', 'dark');

  await theme.selectOption({ label: 'System' });
  await expect(body).toHaveCSS('background-color', light);
  // And System follows the system when it prefers dark.
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await expect(body).toHaveCSS('background-color', dark);
});
