/**
 * Opening a long conversation with unread messages: it lands on the first message from someone
 * else past the read watermark (your own messages are never unread), under an "Unread messages"
 * separator, with the new messages in view; only what was shown on screen is read, and the other
 * side's read receipts say exactly that. Alice writes from a second device (a socket), so her
 * messages are her own in the app.
 */
import { randomUUID } from 'node:crypto';
import { createGroup, createServerHarness, listedConversation, type TestClient } from '../support/server-harness.js';
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { startServer, tempDir } from './support/processes.js';
import type { LaunchApp } from './support/running-app.js';
import { cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();
const sockets = createServerHarness();
test.afterEach(() => sockets.cleanup());

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
  const aliceElsewhere = await sockets.connect(server, aliceAccount.token);
  const bob = await sockets.connect(server, bobAccount.token);
  const carol = await sockets.connect(server, carolAccount.token);
  const { messenger: alice } = await launchApp({ name: `${label}-alice`, serverUrl: server.url });
  await alice.logInMakingIdentity('alice');
  // The other conversation Alice is reading while Bob answers.
  const { conversation: withCarol } = await carol.call({ type: 'start_conversation', username: 'alice' }, 'conversation');
  await carol.send(withCarol.id, randomUUID(), 'Hello from Carol');
  return {
    alice,
    aliceElsewhere,
    aliceId: aliceAccount.user.id,
    bob,
    bobId: bobAccount.user.id,
    carol,
    carolId: carolAccount.user.id,
  };
}

/** Alice's own long history, written in order from her other device. */
async function ownHistory(aliceElsewhere: TestClient, conversationId: string): Promise<void> {
  for (let n = 1; n <= OWN_HISTORY; n++) await aliceElsewhere.send(conversationId, randomUUID(), `Alice ${n}`);
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
  const { conversation } = await aliceElsewhere.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
  await ownHistory(aliceElsewhere, conversation.id);
  await alice.openConversationWith('Carol');
  const answers: number[] = [];
  for (let n = 1; n <= 3; n++) answers.push((await bob.send(conversation.id, randomUUID(), `Bob answer ${n}`)).seq);
  await expect(badge(alice, 'Bob')).toHaveAccessibleName('3 unread');
  expect(await aliceReadAsBobSees(bob, conversation.id, aliceId)).toBeLessThan(answers[0]!);

  await alice.openConversationWith('Bob');
  await expect(separator(alice)).toBeInViewport();
  for (let n = 1; n <= 3; n++) await expect(alice.message(`Bob answer ${n}`)).toBeInViewport();
  await expect(alice.message(`Alice ${OWN_HISTORY}`)).toBeVisible();
  await expectSeparatorBetween(alice, `Alice ${OWN_HISTORY}`, 'Bob answer 1');
  // All three were shown: all three are read, and Bob is told so.
  await expect(badge(alice, 'Bob')).toHaveCount(0);
  await expect.poll(() => aliceReadAsBobSees(bob, conversation.id, aliceId)).toBe(answers[2]);
});

for (const kind of ['direct', 'group'] as const) {
  test(`a ${kind} conversation: unread spread over more than a screen, my own messages between them, read only as shown`, async ({
    launchApp,
  }) => {
    const { alice, aliceElsewhere, aliceId, bob, bobId, carolId } = await setUp(launchApp, `unread-${kind}`);
    let conversationId: string;
    let title: string;
    if (kind === 'direct') {
      const { conversation } = await aliceElsewhere.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
      conversationId = conversation.id;
      title = 'Bob';
    } else {
      conversationId = (await createGroup(aliceElsewhere, { name: 'Plans', memberIds: [bobId, carolId] })).id;
      title = 'Plans';
    }
    await ownHistory(aliceElsewhere, conversationId);
    await alice.openConversationWith('Carol');

    const first = await bob.send(conversationId, randomUUID(), 'Bob first unread');
    await aliceElsewhere.send(conversationId, randomUUID(), 'Alice between');
    const later: number[] = [];
    for (let n = 1; n <= 40; n++) later.push((await bob.send(conversationId, randomUUID(), `Bob later ${n}`)).seq);
    await aliceElsewhere.send(conversationId, randomUUID(), 'Alice after');
    await expect(badge(alice, title)).toHaveAccessibleName('41 unread');
    expect(await aliceReadAsBobSees(bob, conversationId, aliceId)).toBeLessThan(first.seq);

    await alice.openConversationWith(title);
    await expect(separator(alice)).toBeInViewport();
    await expect(alice.message('Bob first unread')).toBeInViewport();
    await expectSeparatorBetween(alice, `Alice ${OWN_HISTORY}`, 'Bob first unread');
    await expect(alice.message('Bob later 40')).not.toBeInViewport();
    // What was shown is read, and no further: the badge drops by that much, not to nothing.
    await expect.poll(() => aliceReadAsBobSees(bob, conversationId, aliceId)).toBeGreaterThanOrEqual(first.seq);
    const read = await aliceReadAsBobSees(bob, conversationId, aliceId);
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
    await expect.poll(() => aliceReadAsBobSees(bob, conversationId, aliceId)).toBeGreaterThanOrEqual(later.at(-1)!);
  });
}
