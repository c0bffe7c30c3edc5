import { expect, test } from './support/app.js';
import { startServer, tempDir, type RunningProcess } from './support/processes.js';
import { cleanedUpAfterEach } from './support/test-resources.js';

const { running, dirs } = cleanedUpAfterEach();

function track<T extends RunningProcess>(process: T): T {
  running.push(process);
  return process;
}

test('two people message each other, offline included, and history survives a restart', async ({ launchApp }) => {
  const serverData = tempDir('e2e-server-');
  dirs.push(serverData);

  let server = track(await startServer(serverData.path));
  const { messenger: alice } = await launchApp({ name: 'alice', serverUrl: server.url });
  const bobApp = await launchApp({ name: 'bob', serverUrl: server.url });
  const bob = bobApp.messenger;
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

  // They know each other: Bob started their conversation (so it is no message request to him),
  // and Alice's own start below accepts it on her side.
  await bob.startConversation('alice');
  await expect(alice.requestsButton).toBeVisible();
  // Bob's app is closed: Alice's message reaches the server but not Bob yet.
  await bobApp.stop();
  await alice.startConversation('bob');
  await alice.send('Hello Bob');
  await expect(alice.status('Hello Bob', 'Sent')).toBeVisible();

  // Bob's app starts again: it stores the message (Delivered), then he reads it (Read).
  await bobApp.start();
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
  await bobApp.restart();
  await expect(bob.connection).toContainText('Offline');
  await bob.openConversationWith('Alice Liddell');
  for (const text of ['Hello Bob', ...offline]) await expect(bob.message(text)).toHaveCount(1);
});
