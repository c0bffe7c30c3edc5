import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './support/app.js';
import { startServer, tempDir, type RunningProcess } from './support/processes.js';
import { acceptRequestsElsewhere, cleanedUpAfterEach } from './support/test-resources.js';

const { running, dirs } = cleanedUpAfterEach();

function track<T extends RunningProcess>(process: T): T {
  running.push(process);
  return process;
}

test('a damaged mirror: the app explains, keeps the file, and Start fresh brings the account and its conversations back', async ({
  launchApp,
}) => {
  const serverData = tempDir('e2e-server-');
  dirs.push(serverData);

  const server = track(await startServer(serverData.path));
  const aliceApp = await launchApp({ name: 'alice', serverUrl: server.url });
  const { messenger: bob } = await launchApp({ name: 'bob', serverUrl: server.url });
  const alice = aliceApp.messenger;
  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  await alice.startConversation('bob');
  await acceptRequestsElsewhere(server.url, 'bob');
  await expect(bob.conversationWith('Alice Liddell')).toBeVisible();
  await alice.send('Written before the damage');
  await expect(alice.status('Written before the damage', 'Delivered')).toBeVisible();

  // The app is closed and its mirror file is overwritten (a disk error, a bad copy).
  await aliceApp.stop();
  writeFileSync(join(aliceApp.profileDir, 'mirror.sqlite'), 'not a database any more\n'.repeat(500));

  await aliceApp.start();
  const screen = alice.page.getByRole('main', { name: 'Your messages on this device could not be opened' });
  await expect(screen).toBeVisible();
  await expect(screen.getByText(/mirror\.damaged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.sqlite/)).toBeVisible();
  await expect(screen.getByRole('status')).toContainText('unknown');

  await screen.getByRole('button', { name: 'Start fresh' }).click();
  // She has an account: the screen offers to log in to it, server and username filled in.
  await expect(alice.page.getByRole('tab', { name: 'Log in' })).toHaveAttribute('aria-selected', 'true');
  await expect(alice.page.getByRole('textbox', { name: 'Username' })).toHaveValue('alice');
  await expect(alice.serverField).toHaveValue(server.url);
  await expect(alice.page.getByRole('textbox', { name: 'Display name' })).toHaveCount(0);
  await alice.page.getByRole('textbox', { name: 'Password' }).fill('a long enough password');
  await alice.page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(alice.conversations).toBeVisible();
  await alice.openConversationWith('Bob Builder');
  // The server cannot give back what was sealed before (docs/e2ee-design.md): the conversation
  // goes on, both ways.
  await bob.openConversationWith('Alice Liddell');
  await bob.send('Written after the fresh start');
  await expect(alice.message('Written after the fresh start')).toBeVisible();
  await alice.send('Got it');
  await expect(bob.message('Got it')).toBeVisible();
});
