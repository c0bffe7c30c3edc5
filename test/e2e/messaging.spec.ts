import { expect, test } from '@playwright/test';
import { startBrowserHost, startServer, tempDir, type RunningProcess } from './support/processes.js';
import { cleanedUpAfterEach, openApp } from './support/test-resources.js';

const { running, dirs } = cleanedUpAfterEach();

function track<T extends RunningProcess>(process: T): T {
  running.push(process);
  return process;
}

test('two people message each other, offline included, and history survives a restart', async ({ browser }) => {
  const serverData = tempDir('e2e-server-');
  const aliceProfile = tempDir('e2e-alice-');
  const bobProfile = tempDir('e2e-bob-');
  dirs.push(serverData, aliceProfile, bobProfile);

  let server = track(await startServer(serverData.path));
  const aliceHost = track(await startBrowserHost(aliceProfile.path, server.url));
  let bobHost = track(await startBrowserHost(bobProfile.path, server.url));

  const alice = await openApp(browser, aliceHost.url);
  const bob = await openApp(browser, bobHost.url);
  await expect(alice.serverField).toHaveValue(server.url);
  // An unencrypted address of another machine is pointed out; this computer's is not.
  const inTheClear = alice.page.getByText('This address is not encrypted');
  await expect(inTheClear).toBeHidden();
  await alice.serverField.fill('ws://chat.example.com:7878');
  await expect(inTheClear).toBeVisible();
  await alice.serverField.fill(server.url);
  await expect(inTheClear).toBeHidden();

  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  await expect(alice.connection).toContainText('Online');

  // Bob's app is closed: Alice's message reaches the server but not Bob yet.
  await bobHost.stop();
  await alice.startConversation('bob');
  await alice.send('Hello Bob');
  await expect(alice.status('Hello Bob', 'Sent')).toBeVisible();

  // Bob's app starts again: it stores the message (Delivered), then he reads it (Read).
  bobHost = track(await startBrowserHost(bobProfile.path, server.url, bobHost.port));
  // A new start prints a new one-time address: Bob opens it (the old session ended with the host).
  await bob.page.goto(bobHost.url);
  await expect(bob.conversationWith('Alice Liddell').getByLabel('1 unread')).toBeVisible();
  await expect(alice.status('Hello Bob', 'Delivered')).toBeVisible();
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Hello Bob')).toBeVisible();
  await expect(alice.status('Hello Bob', 'Read')).toBeVisible();

  // The server goes away: Alice keeps writing.
  await server.stop();
  await expect(alice.connection).toContainText('Offline');
  const offline = ['On the train', 'No network here', 'Sending these later'];
  for (const text of offline) {
    await alice.send(text);
    await expect(alice.status(text, 'Sending')).toBeVisible();
  }

  // The server comes back on the same data: all three arrive at Bob, in order, once each.
  server = track(await startServer(serverData.path, server.port));
  await expect(alice.connection).toContainText('Online', { timeout: 45_000 });
  for (const text of offline) await expect(bob.message(text)).toHaveCount(1, { timeout: 45_000 });
  const bobSees = await bob.messageTexts();
  const positions = ['Hello Bob', ...offline].map((text) => bobSees.findIndex((line) => line.includes(text)));
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(bobSees).toHaveLength(4);
  for (const text of offline) await expect(alice.status(text, 'Read')).toBeVisible();

  // Bob's app restarts while the network is down: his history is all there from the mirror.
  await server.stop();
  await bobHost.stop();
  bobHost = track(await startBrowserHost(bobProfile.path, server.url, bobHost.port));
  await bob.page.goto(bobHost.url);
  await expect(bob.connection).toContainText('Offline');
  await bob.openConversationWith('Alice Liddell');
  for (const text of ['Hello Bob', ...offline]) await expect(bob.message(text)).toHaveCount(1);
});
