/**
 * Issue 33: a location sent from the attach menu, once from the system's position and once typed,
 * reaches the other side as a card with its place name, its coordinates and "Open in
 * OpenStreetMap", a link that leaves the app; a live location moves twice on both screens as the
 * sender moves (the second time after the sender's app restarted), then "Stop sharing" ends it
 * everywhere. With a tile server (Settings → "Maps") it
 * carries a map snapshot made on the sender's device, and "Open map" shows the interactive map.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
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

test('a live location moves twice on both screens, the second time after its sender’s app restarted, then stops for everyone', async ({
  launchApp,
}) => {
  const { alice, bob, aliceApp } = await aliceAndBob(launchApp, resources, 'live-location');
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

  // Each move goes at most 15 s after the one before; the app sharing it restarts in between and
  // shares on by itself.
  const move = async (latitude: number, shown: string) => {
    await alice.page.context().setGeolocation({ latitude, longitude: -0.12 });
    for (const person of [alice, bob]) await expect(card(person)).toContainText(shown, { timeout: 40_000 });
  };
  await move(51.501, '51.501000, -0.120000');
  await aliceApp.restart();
  await alice.openConversationWith('Bob Builder');
  await expect(card(alice).getByRole('status')).toHaveText(/^Live until \d/u);
  await move(51.502, '51.502000, -0.120000');

  await card(alice).getByRole('button', { name: 'Stop sharing' }).click();
  for (const person of [alice, bob]) {
    await expect(card(person).getByRole('status')).toHaveText('Live location ended', { timeout: 30_000 });
    await expect(card(person)).toContainText('51.502000, -0.120000');
  }
  await expect(card(alice).getByRole('button', { name: 'Stop sharing' })).toHaveCount(0);
});

/** A tile server on 127.0.0.1 answering every tile with one plain PNG; it counts what it is asked, and by whom. */
async function tileServer(): Promise<{
  template: string;
  asked: { path: string; page: boolean }[];
  /** From now on every tile is refused (500). */
  fail(): void;
  close(): Promise<void>;
}> {
  const tile = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#8fc7ff' } })
    .png()
    .toBuffer();
  const asked: { path: string; page: boolean }[] = [];
  let failing = false;
  const server = createServer((request, response) => {
    // The page's requests carry its origin (cross-origin fetches); the core's do not.
    asked.push({ path: request.url ?? '', page: request.headers.origin !== undefined });
    if (failing) {
      response.writeHead(500).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'image/png', 'content-length': tile.length, 'access-control-allow-origin': '*' })
      .end(tile);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    template: `http://127.0.0.1:${(server.address() as AddressInfo).port}/{z}/{x}/{y}.png`,
    asked,
    fail: () => (failing = true),
    close: () =>
      new Promise((resolve) => {
        // The browser keeps its connections alive: closed here, or close() would wait for them.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Settings → "Maps" → "Tile server URL", saved; the page is reloaded so its policy allows the server. */
async function setTileServer(person: MessengerPage, template: string) {
  await person.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = person.page.getByRole('dialog', { name: 'Settings' });
  const maps = settings.getByRole('region', { name: 'Maps' });
  const field = maps.getByRole('textbox', { name: 'Tile server URL' });
  await field.fill('http://tiles.example/{z}/{x}/{y}.png');
  await maps.getByRole('button', { name: 'Save' }).click();
  await expect(maps.getByRole('alert')).toHaveText('The tile server must use https.');
  await field.fill(template);
  await maps.getByRole('button', { name: 'Save' }).click();
  await expect(maps.getByRole('status')).toContainText('Saved.');
  await person.page.reload();
}

test('with a tile server, a location carries a map snapshot, "Open map" shows the interactive map, a point is chosen on it, and a failing server sends the card', async ({
  launchApp,
}) => {
  const tiles = await tileServer();
  try {
    const { alice, bob } = await aliceAndBob(launchApp, resources, 'location-maps');
    await setTileServer(alice, tiles.template);
    await setTileServer(bob, tiles.template);
    await alice.openConversationWith('Bob Builder');
    await bob.openConversationWith('Alice Liddell');

    const dialog = await locationDialog(alice);
    await dialog.getByRole('textbox', { name: 'Place name (optional)' }).fill('Harbour');
    await dialog.getByRole('textbox', { name: 'Latitude' }).fill('59.906012');
    await dialog.getByRole('textbox', { name: 'Longitude' }).fill('10.741454');
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(dialog).toBeHidden({ timeout: 30_000 });
    // The snapshot's tiles were asked by Alice's core, at street level.
    expect(tiles.asked.filter((request) => !request.page && request.path.startsWith('/15/')).length).toBeGreaterThanOrEqual(4);

    const map = cards(bob).getByRole('img', { name: 'Map of Harbour' });
    await expect(map).toBeVisible({ timeout: 30_000 });
    await expect
      .poll(() => map.evaluate((image) => (image as { naturalWidth: number }).naturalWidth), { timeout: 30_000 })
      .toBe(600);
    await expect(cards(bob)).toContainText('© OpenStreetMap contributors');
    await expect(cards(bob).getByRole('link', { name: 'Open in OpenStreetMap' })).toBeVisible();

    const before = tiles.asked.filter((request) => request.page).length;
    await cards(bob).getByRole('button', { name: 'Open map' }).click();
    const mapDialog = bob.page.getByRole('dialog', { name: 'Map' });
    await expect(mapDialog.locator('canvas')).toHaveCount(1, { timeout: 30_000 });
    await expect.poll(() => tiles.asked.filter((request) => request.page).length, { timeout: 30_000 }).toBeGreaterThan(before);
    await mapDialog.getByRole('button', { name: 'Close' }).last().click();
    await expect(mapDialog).toBeHidden();

    // A point chosen on the map fills in the coordinates; a tile server that fails does not stop
    // the location: it goes as a card with the coordinates, and Alice is told why.
    const choose = await locationDialog(alice);
    await choose.getByRole('button', { name: 'Choose on map' }).click();
    await expect(choose.locator('canvas')).toHaveCount(1, { timeout: 30_000 });
    await choose.locator('canvas').click({ position: { x: 40, y: 40 } });
    await expect(choose.getByRole('textbox', { name: 'Latitude' })).toHaveValue(/^-?\d+(\.\d+)?$/u);
    await expect(choose.getByRole('textbox', { name: 'Longitude' })).toHaveValue(/^-?\d+(\.\d+)?$/u);
    await choose.getByRole('textbox', { name: 'Latitude' }).fill('-33.8688');
    await choose.getByRole('textbox', { name: 'Longitude' }).fill('151.2093');
    tiles.fail();
    await choose.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(choose.getByRole('status')).toHaveText(
      'The location was sent without a map: the tile server refused the tiles.',
      {
        timeout: 30_000,
      },
    );
    await choose.getByRole('button', { name: 'Close' }).last().click();
    const sydney = cards(bob).filter({ hasText: '-33.868800, 151.209300' });
    await expect(sydney).toBeVisible({ timeout: 30_000 });
    await expect(sydney.getByRole('img')).toHaveCount(0);
  } finally {
    await tiles.close();
  }
});
