/**
 * "Trust you can check": the Safety number dialog, from a direct conversation's menu and from
 * Group info. Both people see the same sixty digits in twelve groups of five and a QR code; "Mark
 * as verified" is kept (then "Clear verification"), and clearing it is kept too. When a verified
 * person's identity key changes, the conversation says so and the composer asks before sending.
 */
import type { Locator } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { SESSIONS_PATH } from '../../sync/protocol/frames.js';
import { firstPublish } from '../support/key-material.js';
import { RawSocket } from '../support/raw-socket.js';
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { startServer, tempDir } from './support/processes.js';
import { cleanedUpAfterEach, threePeople } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

/** Opens "Verify safety number" from the open direct conversation's menu; the dialog. */
async function safetyNumberFromMenu(person: MessengerPage) {
  await person.page.getByRole('button', { name: 'Conversation menu' }).click();
  await person.page.getByRole('menu').getByRole('menuitem', { name: 'Verify safety number', exact: true }).click();
  const dialog = person.page.getByRole('dialog', { name: 'Safety number' });
  await expect(dialog).toBeVisible();
  return dialog;
}

async function digitsIn(dialog: Locator): Promise<string> {
  const digits = dialog.getByLabel('Safety number digits');
  await expect(digits).toHaveText(/^(\d{5} ){11}\d{5}$/);
  return (await digits.textContent()) ?? '';
}

test('both people see the same safety number, from the menu and from Group info; verifying it is kept', async ({ launchApp }) => {
  const { alice, bob } = await threePeople(launchApp, resources, 'safety-numbers');
  await alice.startConversation('bob');
  await bob.acceptRequestFrom('Alice Liddell');
  await alice.openConversationWith('Bob Builder');
  await bob.openConversationWith('Alice Liddell');

  const hers = await safetyNumberFromMenu(alice);
  const digits = await digitsIn(hers);
  await expect(hers.getByRole('img', { name: /QR code/ })).toBeVisible();
  const his = await safetyNumberFromMenu(bob);
  expect(await digitsIn(his)).toBe(digits);
  await his.getByRole('button', { name: 'Close' }).click();
  await expect(his).toBeHidden();

  await hers.getByRole('button', { name: 'Mark as verified' }).click();
  await expect(hers.getByRole('button', { name: 'Clear verification' })).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(hers).toBeHidden();
  // Kept: opened again, the number is still marked verified.
  const again = await safetyNumberFromMenu(alice);
  await expect(again.getByRole('button', { name: 'Clear verification' })).toBeVisible();
  await again.getByRole('button', { name: 'Clear verification' }).click();
  await expect(again.getByRole('button', { name: 'Mark as verified' })).toBeVisible();
  await alice.page.keyboard.press('Escape');

  // From Group info: a button by each other member opens the same number.
  await alice.createGroup('Book club', ['bob']);
  await alice.openConversationWith('Book club');
  await alice.page.getByRole('button', { name: 'Group info' }).click();
  const groupInfo = alice.page.getByRole('dialog', { name: 'Group info' });
  const bobRow = groupInfo.getByRole('listitem').filter({ hasText: 'Bob Builder' });
  await bobRow.getByRole('button', { name: 'Verify safety number' }).click();
  const fromGroup = alice.page.getByRole('dialog', { name: 'Safety number' });
  expect(await digitsIn(fromGroup)).toBe(digits);
  // Nobody verifies themselves: Alice's own row has no such button.
  await expect(groupInfo.getByRole('button', { name: 'Verify safety number' })).toHaveCount(1);
});

/**
 * Publishes a new identity key for `username` from a new session of theirs, as a reinstall would:
 * a real EC public key's shape (type byte 5, then 32 bytes), which the server stores as it is.
 */
async function replaceIdentity(serverUrl: string, username: string, password: string): Promise<void> {
  const httpBase = serverUrl.replace(/^ws/, 'http');
  const response = await fetch(`${httpBase}${SESSIONS_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const { token } = (await response.json()) as { token: string };
  const socket = await RawSocket.connect(serverUrl, token);
  try {
    const identityKey = Buffer.concat([Buffer.from([5]), randomBytes(32)]).toString('base64');
    const [reply] = await socket.exchange([JSON.stringify({ ...firstPublish(identityKey), rid: 'new', replaceIdentity: true })]);
    expect(reply!.frame).toMatchObject({ type: 'key_counts', published: true });
  } finally {
    await socket.close();
  }
}

test('a verified person’s new safety number is noticed, cleared, and asked about before the next send', async ({ launchApp }) => {
  const serverData = tempDir('e2e-safety-change-server-');
  resources.dirs.push(serverData);
  const server = await startServer(serverData.path);
  resources.running.push(server);
  const alice = (await launchApp({ name: 'safety-change-alice', serverUrl: server.url })).messenger;
  const bob = (await launchApp({ name: 'safety-change-bob', serverUrl: server.url })).messenger;
  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  await alice.startConversation('bob');
  await alice.openConversationWith('Bob Builder');
  await alice.send('Before the change');

  const before = await safetyNumberFromMenu(alice);
  const digits = await digitsIn(before);
  await before.getByRole('button', { name: 'Mark as verified' }).click();
  await expect(before.getByRole('button', { name: 'Clear verification' })).toBeVisible();
  await alice.page.keyboard.press('Escape');

  await replaceIdentity(server.url, 'bob', 'a long enough password');
  // Looking again asks the server: a new number, no longer verified, and a notice in the conversation.
  const after = await safetyNumberFromMenu(alice);
  expect(await digitsIn(after)).not.toBe(digits);
  await expect(after.getByRole('button', { name: 'Mark as verified' })).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(alice.log.getByText("Bob Builder's safety number has changed")).toBeVisible();

  // The next send asks first; "Verify" opens the number and sends nothing.
  const composer = alice.page.getByRole('textbox', { name: 'Message' });
  await composer.fill('After the change');
  await composer.press('Enter');
  const asked = alice.page.getByRole('dialog', { name: 'Safety number changed' });
  await asked.getByRole('button', { name: 'Verify', exact: true }).click();
  const verify = alice.page.getByRole('dialog', { name: 'Safety number' });
  await expect(verify).toBeVisible();
  await alice.page.keyboard.press('Escape');
  await expect(alice.message('After the change')).toHaveCount(0);
  // "Send anyway" sends, and the next send is not asked about.
  await expect(composer).toHaveValue('After the change');
  await composer.press('Enter');
  await asked.getByRole('button', { name: 'Send anyway' }).click();
  await expect(alice.message('After the change')).toBeVisible();
  await alice.send('And again');
  await expect(asked).toBeHidden();
});
