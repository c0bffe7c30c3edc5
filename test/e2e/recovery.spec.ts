import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startBrowserHost, startServer, tempDir, type RunningProcess } from './support/processes.js';
import { cleanedUpAfterEach, openApp } from './support/test-resources.js';

const { running, dirs } = cleanedUpAfterEach();

function track<T extends RunningProcess>(process: T): T {
  running.push(process);
  return process;
}

test('a damaged mirror: the app explains, keeps the file, and Start fresh brings the history back from the server', async ({
  browser,
}) => {
  const serverData = tempDir('e2e-server-');
  const aliceProfile = tempDir('e2e-alice-');
  const bobProfile = tempDir('e2e-bob-');
  dirs.push(serverData, aliceProfile, bobProfile);

  const server = track(await startServer(serverData.path));
  let aliceHost = track(await startBrowserHost(aliceProfile.path, server.url));
  const bobHost = track(await startBrowserHost(bobProfile.path, server.url));
  const alice = await openApp(browser, aliceHost.url);
  const bob = await openApp(browser, bobHost.url);
  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  await alice.startConversation('bob');
  await alice.send('Written before the damage');
  await expect(alice.status('Written before the damage', 'Delivered')).toBeVisible();

  // The app is closed and its mirror file is overwritten (a disk error, a bad copy).
  await aliceHost.stop();
  writeFileSync(join(aliceProfile.path, 'mirror.sqlite'), 'not a database any more\n'.repeat(500));

  aliceHost = track(await startBrowserHost(aliceProfile.path, server.url, aliceHost.port));
  await alice.page.goto(aliceHost.url);
  const screen = alice.page.getByRole('main', { name: 'Your messages on this device could not be opened' });
  await expect(screen).toBeVisible();
  await expect(screen.getByText(/mirror\.damaged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.sqlite/)).toBeVisible();
  await expect(screen.getByRole('status')).toContainText('unknown');

  await screen.getByRole('button', { name: 'Start fresh' }).click();
  await alice.logIn('alice');
  await alice.openConversationWith('Bob Builder');
  await expect(alice.message('Written before the damage')).toHaveCount(1);
});
