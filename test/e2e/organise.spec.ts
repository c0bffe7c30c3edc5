/**
 * Issue 10: keeping conversations in order. Pins travel to the other person (in groups only owner
 * and admins pin) and the bar jumps to one far back; archive and mute follow the person to their
 * other device; a draft survives a restart of the app; blocking stops delivery both ways until
 * lifted, and hides each one's presence from the other.
 */
import type { Locator } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { postAll, postEnvelope } from '../support/crypto-devices.js';
import { createServerHarness } from '../support/server-harness.js';
import { browserHostOnly, expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { aliceAndBob, aliceAndSocketBob, anotherDevice, cleanedUpAfterEach } from './support/test-resources.js';

const resources = cleanedUpAfterEach();
const sockets = createServerHarness();
test.afterEach(() => sockets.cleanup());

function pinnedBar(person: MessengerPage): Locator {
  return person.page.getByRole('region', { name: 'Pinned messages' });
}

/** The open direct conversation's "online" / "last seen …" under the other person's name. */
function presence(person: MessengerPage): Locator {
  return person.page.locator('.conversation__sub .presence');
}

async function hoverAction(person: MessengerPage, text: string, action: string) {
  const message = person.message(text);
  await message.hover();
  await message.getByRole('button', { name: action, exact: true }).click();
}

async function conversationMenu(person: MessengerPage, item: string) {
  await person.page.getByRole('button', { name: 'Conversation menu' }).click();
  const menu = person.page.getByRole('menu');
  await expect(menu).toBeVisible();
  await menu.getByRole('menuitem', { name: item, exact: true }).click();
  await expect(menu).toBeHidden();
}

function entryIn(person: MessengerPage, list: 'Conversations' | 'Archived', name: string): Locator {
  return person.page
    .getByRole('list', { name: list, exact: true })
    .getByRole('listitem')
    .filter({ has: person.page.getByRole('button', { name: new RegExp(`^${name}`) }) });
}

async function showArchived(person: MessengerPage) {
  await person.page.getByRole('button', { name: 'Archived chats' }).click();
  await expect(person.page.getByRole('list', { name: 'Archived', exact: true })).toBeVisible();
}

async function backToMain(person: MessengerPage) {
  await person.page.getByRole('button', { name: 'Back', exact: true }).click();
  await expect(person.conversations).toBeVisible();
}

test('pins show on both sides, newest first, and clicking cycles through them', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'pins');
  await alice.openConversationWith('Bob Builder');
  await alice.send('The address is 12 Elm Street');
  await alice.send('Meet at seven');
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Meet at seven')).toBeVisible();

  await hoverAction(alice, 'The address is 12 Elm Street', 'Pin');
  await expect(pinnedBar(alice)).toContainText('The address is 12 Elm Street');
  await expect(pinnedBar(bob)).toContainText('The address is 12 Elm Street');
  await expect(pinnedBar(bob)).toContainText('Alice Liddell');

  // Bob pins too (both people pin in a direct conversation): the newest pin is shown, "1 of 2".
  await hoverAction(bob, 'Meet at seven', 'Pin');
  await expect(pinnedBar(bob)).toContainText('Meet at seven');
  await expect(pinnedBar(bob)).toContainText('1 of 2');
  await expect(pinnedBar(alice)).toContainText('Meet at seven');

  // Clicking jumps to the one shown and moves on to the next older one.
  await pinnedBar(alice).getByRole('button').click();
  await expect(alice.message('Meet at seven')).toHaveAttribute('aria-current', 'true');
  await expect(pinnedBar(alice)).toContainText('2 of 2');
  await expect(pinnedBar(alice)).toContainText('The address is 12 Elm Street');

  // A new pin is shown at once, wherever clicking had moved the bar.
  await bob.send('Bring snacks');
  await hoverAction(bob, 'Bring snacks', 'Pin');
  await expect(pinnedBar(alice)).toContainText('Bring snacks');
  await expect(pinnedBar(alice)).toContainText('1 of 3');
  await pinnedBar(alice).getByRole('button').click();
  await expect(alice.message('Bring snacks')).toHaveAttribute('aria-current', 'true');
  await expect(pinnedBar(alice)).toContainText('Meet at seven');
  await pinnedBar(alice).getByRole('button').click();
  await expect(pinnedBar(alice)).toContainText('3 of 3');
  await pinnedBar(alice).getByRole('button').click();
  await expect(alice.message('The address is 12 Elm Street')).toHaveAttribute('aria-current', 'true');

  // Unpinning takes it off both bars.
  await hoverAction(alice, 'Meet at seven', 'Unpin');
  await hoverAction(alice, 'Bring snacks', 'Unpin');
  await expect(pinnedBar(bob)).not.toContainText('Meet at seven');
  await expect(pinnedBar(bob)).not.toContainText('Bring snacks');
  await expect(pinnedBar(bob)).toContainText('The address is 12 Elm Street');
  await expect(pinnedBar(bob)).not.toContainText(' of ');
  await hoverAction(bob, 'The address is 12 Elm Street', 'Unpin');
  await expect(pinnedBar(alice)).toBeHidden();
});

test('in a group only owner and admins pin; everyone sees the pinned bar', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'group-pins');
  await alice.page.getByRole('button', { name: 'New group' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByRole('textbox', { name: 'Group name' }).fill('Plans');
  await dialog.getByRole('textbox', { name: 'Add people' }).fill('bob');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(dialog.getByRole('button', { name: 'Remove bob' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Create' }).click();
  await expect(dialog).toBeHidden();
  await alice.openConversationWith('Plans');
  await alice.send('The plan is on the fridge');
  await bob.openConversationWith('Plans');
  await expect(bob.message('The plan is on the fridge')).toBeVisible();

  // Alice (the owner) pins; Bob (a member) sees the bar, but has no Pin or Unpin of his own.
  await hoverAction(alice, 'The plan is on the fridge', 'Pin');
  await expect(pinnedBar(bob)).toContainText('The plan is on the fridge');
  const bobsMessage = bob.message('The plan is on the fridge');
  await bobsMessage.hover();
  await expect(bobsMessage.getByRole('button', { name: 'Reply', exact: true })).toBeVisible();
  await expect(bobsMessage.getByRole('button', { name: /^(Pin|Unpin)$/ })).toHaveCount(0);

  // Made an admin, Bob may: he unpins it for everyone.
  await alice.page.getByRole('button', { name: 'Group info' }).click();
  const groupInfo = alice.page.getByRole('dialog', { name: 'Group info' });
  await groupInfo.getByRole('button', { name: 'Make Bob Builder an admin' }).click();
  await expect(groupInfo.getByRole('button', { name: 'Remove Bob Builder as admin' })).toBeVisible();
  await groupInfo.getByRole('button', { name: 'Close' }).click();
  await hoverAction(bob, 'The plan is on the fridge', 'Unpin');
  await expect(pinnedBar(alice)).toBeHidden();
});

test('the pinned bar jumps to a pinned message far back in the history', async ({ launchApp }) => {
  // Bob is a bare device: his first message, pinned, then three pages of messages after it.
  const { alice, bob, conversationId } = await aliceAndSocketBob(launchApp, resources, sockets, 'pin-far');
  const first = await postEnvelope(bob, conversationId, randomUUID(), { kind: 'message', text: 'The first word, long ago' });
  await postEnvelope(bob, conversationId, randomUUID(), { kind: 'pin', messageId: first.clientId, on: true });
  const LATER = 300;
  await postAll(
    bob,
    conversationId,
    Array.from({ length: LATER }, (_, i) => ({
      clientId: randomUUID(),
      content: { kind: 'message' as const, text: `Later ${i + 1}` },
    })),
  );
  await expect(alice.conversationWith('Bob')).toContainText(`Later ${LATER}`, { timeout: 60_000 });

  await alice.openConversationWith('Bob');
  await alice.page.getByRole('button', { name: 'Jump to latest' }).click();
  await expect(alice.message(`Later ${LATER}`)).toBeInViewport();
  await expect(alice.message('The first word, long ago')).toHaveCount(0);

  await expect(pinnedBar(alice)).toContainText('The first word, long ago');
  await pinnedBar(alice).getByRole('button').click();
  const current = alice.log.locator('article[aria-current="true"]');
  await expect(current).toContainText('The first word, long ago');
  await expect(current).toBeInViewport();
});

test('archive and mute on one device show on the second; a new message brings back only an unmuted one', async ({
  launchApp,
}) => {
  const { alice, bob, server } = await aliceAndBob(launchApp, resources, 'archive');
  await alice.openConversationWith('Bob Builder');
  await alice.send('Hello from the phone');
  const laptop = await anotherDevice(launchApp, 'archive', server.url, 'alice', alice);
  await expect(entryIn(laptop, 'Conversations', 'Bob Builder')).toBeVisible();

  await conversationMenu(alice, 'Archive');
  await expect(entryIn(alice, 'Conversations', 'Bob Builder')).toHaveCount(0);
  await showArchived(alice);
  await expect(entryIn(alice, 'Archived', 'Bob Builder')).toBeVisible();
  await backToMain(alice);

  // The second device follows.
  await expect(entryIn(laptop, 'Conversations', 'Bob Builder')).toHaveCount(0);
  await showArchived(laptop);
  await expect(entryIn(laptop, 'Archived', 'Bob Builder')).toBeVisible();

  // Muted on the laptop: "Muted" on the phone, and a new message leaves it in the archive.
  await laptop.page
    .getByRole('list', { name: 'Archived', exact: true })
    .getByRole('button', { name: /^Bob Builder/ })
    .click();
  await conversationMenu(laptop, 'Mute');
  await expect(laptop.page.getByRole('button', { name: 'Conversation menu' })).toBeVisible();
  await showArchived(alice);
  await expect(entryIn(alice, 'Archived', 'Bob Builder')).toContainText('Muted');
  await bob.openConversationWith('Alice Liddell');
  await bob.send('Still there?');
  await expect(entryIn(alice, 'Archived', 'Bob Builder')).toContainText('Still there?');
  await backToMain(alice);
  await expect(entryIn(alice, 'Conversations', 'Bob Builder')).toHaveCount(0);

  // Unmuted: it stays in the archive, as unmuting is no new message (WhatsApp and Telegram do the
  // same), and "Muted" goes; the next message brings it back, on both devices.
  await conversationMenu(laptop, 'Unmute');
  await showArchived(alice);
  await expect(entryIn(alice, 'Archived', 'Bob Builder')).toContainText('Still there?');
  await expect(entryIn(alice, 'Archived', 'Bob Builder')).not.toContainText('Muted');
  await backToMain(alice);
  await expect(entryIn(alice, 'Conversations', 'Bob Builder')).toHaveCount(0);
  await bob.send('Back in the list');
  await expect(entryIn(alice, 'Conversations', 'Bob Builder')).toContainText('Back in the list');
  await backToMain(laptop);
  await expect(entryIn(laptop, 'Conversations', 'Bob Builder')).toContainText('Back in the list');
});

test('a draft survives a restart of the app, with its reply, and shows in the list', async ({ launchApp }) => {
  const { alice, bob, aliceApp } = await aliceAndBob(launchApp, resources, 'drafts');
  await bob.openConversationWith('Alice Liddell');
  await bob.send('Are you free on Sunday?');
  await alice.openConversationWith('Bob Builder');
  await hoverAction(alice, 'Are you free on Sunday?', 'Reply');
  let composer = alice.page.getByRole('textbox', { name: 'Message' });
  await composer.fill('Half a thought about Sunday');
  await expect(alice.conversationWith('Bob Builder')).toContainText('Draft: Half a thought about Sunday');

  await aliceApp.restart();
  // The app may come back in a new window (Electron): the message box is looked up there.
  composer = alice.page.getByRole('textbox', { name: 'Message' });
  await expect(alice.conversationWith('Bob Builder')).toContainText('Draft: Half a thought about Sunday');
  await alice.openConversationWith('Bob Builder');
  await expect(composer).toHaveValue('Half a thought about Sunday');
  await expect(alice.page.getByLabel('Replying to Bob Builder')).toBeVisible();

  // Sending clears it; the message answers Bob's.
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
  await expect(bob.message('Half a thought about Sunday')).toContainText('Are you free on Sunday?');
  await expect(alice.conversationWith('Bob Builder')).not.toContainText('Draft:');
  await expect(alice.conversationWith('Bob Builder')).toContainText('Half a thought about Sunday');
});

test('on a slow machine the draft is in the box when it appears, and keys typed before the app answers add to it', async ({
  launchApp,
}) => {
  browserHostOnly('holds the bridge’s answers with Playwright’s WebSocket routing');
  const { alice, bob, aliceApp } = await aliceAndBob(launchApp, resources, 'slow-draft');
  await bob.openConversationWith('Alice Liddell');
  await bob.send('Are you free on Sunday?');
  await alice.openConversationWith('Bob Builder');
  await hoverAction(alice, 'Are you free on Sunday?', 'Reply');
  let composer = alice.page.getByRole('textbox', { name: 'Message' });
  await composer.fill('Half a thought');
  await expect(alice.conversationWith('Bob Builder')).toContainText('Draft: Half a thought');

  // The app answers for drafts only when the test lets it: everything else goes through. Once let
  // go, later asks go through too (typing saves the draft, and the page may ask for it again).
  const held: Array<() => void> = [];
  let holding = false;
  await alice.page.routeWebSocket(/\/bridge/, (page) => {
    const host = page.connectToServer();
    page.onMessage((message) => {
      const forward = () => host.send(message);
      const method = typeof message === 'string' ? (JSON.parse(message) as { method?: unknown }).method : null;
      if (method === 'getDraft' && holding) held.push(forward);
      else forward();
    });
    host.onMessage((message) => page.send(message));
  });
  const releaseDrafts = () => {
    holding = false;
    for (const release of held.splice(0)) release();
  };
  const openWithDraftHeld = async () => {
    holding = true;
    await aliceApp.restart();
    composer = alice.page.getByRole('textbox', { name: 'Message' });
    await alice.openConversationWith('Bob Builder');
    await expect.poll(() => held.length).toBeGreaterThan(0);
  };

  // A short draft: the list has all of it, so the box shows it at once; typing goes on after it.
  await openWithDraftHeld();
  await expect(composer).toHaveValue('Half a thought');
  await composer.press('End');
  await composer.pressSequentially(' about Sunday');
  releaseDrafts();
  await expect(alice.page.getByLabel('Replying to Bob Builder')).toBeVisible();
  await expect(composer).toHaveValue('Half a thought about Sunday');
  await expect(alice.conversationWith('Bob Builder')).toContainText('Draft: Half a thought about Sunday');

  // A long one the list shows only the start of: what is typed before it arrives comes after it.
  const long = `${'A long plan for the trip, written over several evenings. '.repeat(4)}The end.`;
  await composer.fill(long);
  await expect(alice.conversationWith('Bob Builder')).toContainText('Draft: A long plan');
  await openWithDraftHeld();
  await composer.pressSequentially(' P.S.');
  releaseDrafts();
  await expect(composer).toHaveValue(`${long} P.S.`);
  await expect(alice.page.getByLabel('Replying to Bob Builder')).toBeVisible();
});

test('blocking stops delivery both ways until the block is lifted', async ({ launchApp }) => {
  const { alice, bob } = await aliceAndBob(launchApp, resources, 'block');
  await alice.openConversationWith('Bob Builder');
  await alice.send('Before the block');
  await bob.openConversationWith('Alice Liddell');
  await expect(bob.message('Before the block')).toBeVisible();
  // Both have written: each sees the other online.
  await bob.send('Hello Alice');
  await expect(presence(alice)).toHaveText('online');
  await expect(presence(bob)).toHaveText('online');

  await conversationMenu(bob, 'Block');
  await expect(bob.page.getByText('You blocked this person.')).toBeVisible();
  await expect(bob.page.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  // Neither sees the other online now, nor when they were last seen.
  await expect(presence(alice)).toHaveCount(0);
  await expect(presence(bob)).toHaveCount(0);

  // Alice's message is accepted for her (the block is not revealed) but never reaches Bob.
  await alice.send('After the block');
  await expect(alice.status('After the block', 'Sent')).toBeVisible();
  await bob.page.waitForTimeout(2000);
  await expect(bob.message('After the block')).toHaveCount(0);
  await expect(bob.conversationWith('Alice Liddell')).not.toContainText('After the block');

  // The blocked people dialog lists Alice; Unblock there.
  await bob.page.getByRole('button', { name: 'Blocked people' }).click();
  const dialog = bob.page.getByRole('dialog', { name: 'Blocked people' });
  const entry = dialog.getByRole('listitem').filter({ hasText: 'Alice Liddell' });
  await expect(entry).toBeVisible();
  await entry.getByRole('button', { name: 'Unblock' }).click();
  await expect(dialog.getByRole('listitem')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  // Messages flow again both ways; the one sent during the block stays hidden.
  await expect(bob.page.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await bob.send('Unblocked now');
  await expect(alice.message('Unblocked now')).toBeVisible();
  await alice.send('Good to hear');
  await expect(bob.message('Good to hear')).toBeVisible();
  await expect(bob.message('After the block')).toHaveCount(0);

  // Blocked from the conversation menu again, then unblocked from the notice in place of the composer.
  await conversationMenu(bob, 'Block');
  await bob.page.getByRole('button', { name: 'Unblock', exact: true }).click();
  await expect(bob.page.getByRole('textbox', { name: 'Message' })).toBeVisible();
});

test('a draft typed on one device shows on the other, in the list and in an open composer', async ({ launchApp }) => {
  const { alice, server } = await aliceAndBob(launchApp, resources, 'draft-sync');
  await alice.openConversationWith('Bob Builder');
  const laptop = await anotherDevice(launchApp, 'draft-sync', server.url, 'alice', alice);
  await laptop.openConversationWith('Bob Builder');

  await alice.page.getByRole('textbox', { name: 'Message' }).fill('Written on the phone');
  await expect(laptop.conversationWith('Bob Builder')).toContainText('Draft: Written on the phone');
  await expect(laptop.page.getByRole('textbox', { name: 'Message' })).toHaveValue('Written on the phone');
});
