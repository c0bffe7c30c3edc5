/**
 * Opening a long conversation with unread messages: it lands on the first message from someone
 * else past the read watermark (your own messages are never unread), under an "Unread messages"
 * separator, with the new messages in view; only what was shown on screen is read, and the other
 * side's read receipts say exactly that. Alice writes from a second device (a client core in the
 * spec's process, linked from the app), so her messages are her own in the app; Bob and Carol are
 * bare devices that seal what they write (test-resources.ts: bareDevice).
 */
import { randomUUID } from 'node:crypto';
import type { Content } from '../../sync/content/content.js';
import { createClientHarness, type TestCore } from '../support/client-harness.js';
import { postEnvelope } from '../support/crypto-devices.js';
import { online, settled } from '../support/people.js';
import { createServerHarness, listedConversation, type TestClient } from '../support/server-harness.js';
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { startServer, tempDir } from './support/processes.js';
import type { LaunchApp } from './support/running-app.js';
import { bareDevice, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();
const sockets = createServerHarness();
const cores = createClientHarness();
test.afterEach(async () => {
  await cores.cleanup();
  await sockets.cleanup();
});

const PASSWORD = 'a long enough password';
/** More than several pages of the message list (a page is 100). */
const OWN_HISTORY = 300;

async function setUp(launchApp: LaunchApp, label: string) {
  const serverData = tempDir(`e2e-${label}-server-`);
  resources.dirs.push(serverData);
  const server = await startServer(serverData.path, 0, ['--frames-per-second', '1000000', '--frame-burst', '1000000']);
  resources.running.push(server);
  const httpUrl = server.url.replace(/^ws/, 'http');
  const account = (username: string, displayName: string) =>
    sockets.createAccount({ httpUrl }, { username, displayName, password: PASSWORD });
  const [aliceAccount, bobAccount, carolAccount] = [
    await account('alice', 'Alice Liddell'),
    await account('bob', 'Bob'),
    await account('carol', 'Carol'),
  ];
  const bob = await bareDevice(resources, sockets, server, bobAccount);
  const carol = await bareDevice(resources, sockets, server, carolAccount);
  const { messenger: alice } = await launchApp({ name: `${label}-alice`, serverUrl: server.url });
  await alice.logInMakingIdentity('alice');
  // Alice's other device, linked from the app once the server holds the identity the app made.
  const identityOfAlice = async () =>
    (await bob.socket.call({ type: 'fetch_identity', userId: aliceAccount.user.id }, 'identity')).identityKey;
  await expect.poll(identityOfAlice).not.toBeNull();
  const aliceElsewhere = await cores.open(await cores.profileDir(), server.url);
  await aliceElsewhere.logIn({ serverUrl: server.url, username: 'alice', password: PASSWORD });
  const waiting = () => aliceElsewhere.getLinkState();
  await expect.poll(waiting, { timeout: 30_000 }).toMatchObject({ kind: 'waiting', code: expect.any(String) });
  const shown = await waiting();
  if (shown.kind !== 'waiting' || shown.code === null) throw new Error(`No link code to enter: ${JSON.stringify(shown)}`);
  await alice.linkDevice(shown.code);
  await expect.poll(async () => (await aliceElsewhere.getLinkState()).kind, { timeout: 30_000 }).toBe('linked');
  await online(aliceElsewhere);
  // The other conversation Alice is reading while Bob answers.
  const { conversation: withCarol } = await carol.socket.call({ type: 'start_conversation', username: 'alice' }, 'conversation');
  await postEnvelope(carol, withCarol.id, randomUUID(), say('Hello from Carol'));
  return {
    alice,
    aliceElsewhere,
    aliceId: aliceAccount.user.id,
    bob,
  };
}

const say = (text: string): Content => ({ kind: 'message', text });

/** Writes from Alice's other device, and waits until the server has it. */
async function writeElsewhere(aliceElsewhere: TestCore, conversationId: string, text: string): Promise<void> {
  await aliceElsewhere.sendMessage({ conversationId, text });
  await settled(aliceElsewhere, conversationId);
}

/** Alice's own long history, written in order from her other device. */
async function ownHistory(aliceElsewhere: TestCore, conversationId: string): Promise<void> {
  for (let n = 1; n <= OWN_HISTORY; n++) await aliceElsewhere.sendMessage({ conversationId, text: `Alice ${n}` });
  await settled(aliceElsewhere, conversationId);
}

/** What Bob's side is told Alice has read (her read watermark on the server). */
async function aliceReadAsBobSees(bob: TestClient, conversationId: string, aliceId: string): Promise<number> {
  const conversation = await listedConversation(bob, conversationId);
  return conversation?.members.find((member) => member.id === aliceId)?.readSeq ?? -1;
}

const badge = (alice: MessengerPage, title: string) => alice.conversationWith(title).getByLabel(/^\d+ unread$/);
const separator = (alice: MessengerPage) => alice.page.getByRole('separator', { name: 'Unread messages' });

/** The separator sits right above `first` and below `before`. */
async function expectSeparatorBetween(alice: MessengerPage, before: string, first: string): Promise<void> {
  const [above, line, below] = await Promise.all([
    alice.message(before).boundingBox(),
    separator(alice).boundingBox(),
    alice.message(first).boundingBox(),
  ]);
  expect(above && line && below).toBeTruthy();
  expect(above!.y + above!.height).toBeLessThanOrEqual(line!.y + 1);
  expect(line!.y + line!.height).toBeLessThanOrEqual(below!.y + 1);
}

test('300 of my own messages, then three answers while I read elsewhere: opens on the answers, read as shown', async ({
  launchApp,
}) => {
  const { alice, aliceElsewhere, aliceId, bob } = await setUp(launchApp, 'unread-three');
  const conversation = await aliceElsewhere.startConversation({ username: 'bob' });
  await ownHistory(aliceElsewhere, conversation.id);
  await alice.openConversationWith('Carol');
  const answers: number[] = [];
  for (let n = 1; n <= 3; n++) answers.push((await postEnvelope(bob, conversation.id, randomUUID(), say(`Bob answer ${n}`))).seq);
  await expect(badge(alice, 'Bob')).toHaveAccessibleName('3 unread');
  expect(await aliceReadAsBobSees(bob.socket, conversation.id, aliceId)).toBeLessThan(answers[0]!);

  await alice.openConversationWith('Bob');
  await expect(separator(alice)).toBeInViewport();
  for (let n = 1; n <= 3; n++) await expect(alice.message(`Bob answer ${n}`)).toBeInViewport();
  await expect(alice.message(`Alice ${OWN_HISTORY}`)).toBeVisible();
  await expectSeparatorBetween(alice, `Alice ${OWN_HISTORY}`, 'Bob answer 1');
  // All three were shown: all three are read, and Bob is told so.
  await expect(badge(alice, 'Bob')).toHaveCount(0);
  await expect.poll(() => aliceReadAsBobSees(bob.socket, conversation.id, aliceId)).toBe(answers[2]);
});

for (const kind of ['direct', 'group'] as const) {
  test(`a ${kind} conversation: unread spread over more than a screen, my own messages between them, read only as shown`, async ({
    launchApp,
  }) => {
    const { alice, aliceElsewhere, aliceId, bob } = await setUp(launchApp, `unread-${kind}`);
    let conversationId: string;
    let title: string;
    if (kind === 'direct') {
      conversationId = (await aliceElsewhere.startConversation({ username: 'bob' })).id;
      title = 'Bob';
    } else {
      // The device adds people it knows: by their usernames first.
      const members = await Promise.all(['bob', 'carol'].map((username) => aliceElsewhere.findUser({ username })));
      conversationId = (await aliceElsewhere.createGroup({ name: 'Plans', memberIds: members.map((member) => member.id) })).id;
      title = 'Plans';
    }
    await ownHistory(aliceElsewhere, conversationId);
    await alice.openConversationWith('Carol');

    const first = await postEnvelope(bob, conversationId, randomUUID(), say('Bob first unread'));
    await writeElsewhere(aliceElsewhere, conversationId, 'Alice between');
    const later: number[] = [];
    for (let n = 1; n <= 40; n++) later.push((await postEnvelope(bob, conversationId, randomUUID(), say(`Bob later ${n}`))).seq);
    await writeElsewhere(aliceElsewhere, conversationId, 'Alice after');
    await expect(badge(alice, title)).toHaveAccessibleName('41 unread');
    expect(await aliceReadAsBobSees(bob.socket, conversationId, aliceId)).toBeLessThan(first.seq);

    await alice.openConversationWith(title);
    await expect(separator(alice)).toBeInViewport();
    await expect(alice.message('Bob first unread')).toBeInViewport();
    await expectSeparatorBetween(alice, `Alice ${OWN_HISTORY}`, 'Bob first unread');
    await expect(alice.message('Bob later 40')).not.toBeInViewport();
    // What was shown is read, and no further: the badge drops by that much, not to nothing.
    await expect.poll(() => aliceReadAsBobSees(bob.socket, conversationId, aliceId)).toBeGreaterThanOrEqual(first.seq);
    const read = await aliceReadAsBobSees(bob.socket, conversationId, aliceId);
    expect(read).toBeLessThan(later.at(-1)!);
    const left = later.filter((seq) => seq > read).length;
    await expect(badge(alice, title)).toHaveAccessibleName(`${left} unread`);
    expect(left).toBeGreaterThan(0);

    // Scrolling down reads the rest.
    const scroller = alice.page.locator('.messages');
    await expect(async () => {
      await scroller.hover();
      await alice.page.mouse.wheel(0, 1500);
      await expect(alice.message('Alice after')).toBeInViewport({ timeout: 500 });
    }).toPass({ timeout: 30_000 });
    await expect(badge(alice, title)).toHaveCount(0);
    await expect.poll(() => aliceReadAsBobSees(bob.socket, conversationId, aliceId)).toBeGreaterThanOrEqual(later.at(-1)!);
  });
}
