/**
 * Issue 33: a location sent from the attach menu, once from the system's position and once typed,
 * reaches the other side as a card with its place name, its coordinates and "Open in
 * OpenStreetMap", a link that leaves the app; a live location moves twice on both screens as the
 * sender moves, then "Stop sharing" ends it everywhere.
 */
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

const locationDialog = async (person: MessengerPage) => {
  await person.page.getByRole('button', { name: 'Attach menu' }).click();
  await person.page.getByRole('menuitem', { name: 'Location' }).click();
  return person.page.getByRole('dialog', { name: 'Location' });
};

const cards = (person: MessengerPage) => person.page.getByRole('log').getByRole('group', { name: 'Location' });

test('a location from the system’s position and one typed reach the other side with their link', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'locations');
  await alice.openConversationWith('Bob Builder');
  await bob.openConversationWith('Alice Liddell');

  await alice.page.context().grantPermissions(['geolocation']);
  await alice.page.context().setGeolocation({ latitude: 59.90601234, longitude: 10.7414536 });
  let dialog = await locationDialog(alice);
  await dialog.getByRole('textbox', { name: 'Place name (optional)' }).fill('Harbour');
  await dialog.getByRole('button', { name: 'Send your current location' }).click();
  await expect(dialog).toBeHidden();

  dialog = await locationDialog(alice);
  const send = dialog.getByRole('button', { name: 'Send', exact: true });
  await dialog.getByRole('textbox', { name: 'Latitude' }).fill('91');
  await dialog.getByRole('textbox', { name: 'Longitude' }).fill('10');
  await expect(send).toBeDisabled();
  await dialog.getByRole('textbox', { name: 'Latitude' }).fill('-33,8688');
  await dialog.getByRole('textbox', { name: 'Longitude' }).fill('151.2093');
  await send.click();
  await expect(dialog).toBeHidden();

  for (const person of [alice, bob]) {
    await expect(cards(person)).toHaveCount(2, { timeout: 30_000 });
    const harbour = cards(person).first();
    await expect(harbour).toContainText('Harbour');
    await expect(harbour).toContainText('59.906012, 10.741454');
    await expect(harbour.getByRole('link', { name: 'Open in OpenStreetMap' })).toHaveAttribute(
      'href',
      'https://www.openstreetmap.org/?mlat=59.906012&mlon=10.741454#map=16/59.906012/10.741454',
    );
    // The system browser, never the app's own window.
    await expect(harbour.getByRole('link', { name: 'Open in OpenStreetMap' })).toHaveAttribute('target', '_blank');
    await expect(cards(person).last()).toContainText('-33.868800, 151.209300');
  }
  await expect(bob.conversationWith('Alice Liddell')).toContainText('📍 Location');
});

test('a live location moves twice on both screens, then stops for everyone', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'live-location');
  await alice.openConversationWith('Bob Builder');
  await bob.openConversationWith('Alice Liddell');
  await alice.page.context().grantPermissions(['geolocation']);
  await alice.page.context().setGeolocation({ latitude: 51.5, longitude: -0.12 });

  const dialog = await locationDialog(alice);
  await dialog.getByRole('textbox', { name: 'Place name (optional)' }).fill('Walking home');
  await dialog.getByRole('radio', { name: '1 hour' }).check();
  await dialog.getByRole('button', { name: 'Share live location' }).click();
  await expect(dialog).toBeHidden();

  const card = (person: MessengerPage) => cards(person).filter({ hasText: 'Walking home' });
  for (const person of [alice, bob]) {
    await expect(card(person)).toContainText('51.500000, -0.120000', { timeout: 30_000 });
    await expect(card(person).getByRole('status')).toHaveText(/^Live until \d/u);
  }
  await expect(card(bob).getByRole('button', { name: 'Stop sharing' })).toHaveCount(0);

  // Each move goes at most 15 s after the one before.
  for (const [latitude, shown] of [
    [51.501, '51.501000, -0.120000'],
    [51.502, '51.502000, -0.120000'],
  ] as const) {
    await alice.page.context().setGeolocation({ latitude, longitude: -0.12 });
    for (const person of [alice, bob]) await expect(card(person)).toContainText(shown, { timeout: 40_000 });
  }

  await card(alice).getByRole('button', { name: 'Stop sharing' }).click();
  for (const person of [alice, bob]) {
    await expect(card(person).getByRole('status')).toHaveText('Live location ended', { timeout: 30_000 });
    await expect(card(person)).toContainText('51.502000, -0.120000');
  }
  await expect(card(alice).getByRole('button', { name: 'Stop sharing' })).toHaveCount(0);
});
