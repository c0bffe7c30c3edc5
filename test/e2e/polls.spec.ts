/**
 * Issue 33: a poll made from the attach menu, voted by three people, one of them offline, with the
 * same tallies on every screen; "View votes" names who chose what, and the author's "End poll"
 * freezes it everywhere.
 */
import type { Locator } from '@playwright/test';
import { expect, test } from './support/app.js';
import type { MessengerPage } from './support/messenger-page.js';
import { cleanedUpAfterEach, threePeople } from './support/test-resources.js';

const resources = cleanedUpAfterEach();

const pollOf = (person: MessengerPage) => person.message('Where shall we go?').getByRole('group', { name: 'Poll' });

/** Each option's count as the poll shows it, in order. */
async function expectCounts(poll: Locator, counts: readonly number[]) {
  for (const [index, option] of ['Lake', 'Hills', 'Sea'].entries()) {
    const votes = counts[index]!;
    await expect(poll.getByRole('radio', { name: option, exact: true })).toHaveAccessibleDescription(
      new RegExp(`^${votes} votes?\\b`),
    );
  }
}

test('a poll voted by three people, one offline, shows the same counts everywhere, and ends for everyone', async ({
  launchApp,
}) => {
  const { alice, bob, carol } = await threePeople(launchApp, resources, 'polls');
  await alice.startConversation('bob');
  await alice.startConversation('carol');
  await bob.acceptRequestFrom('Alice Liddell');
  await carol.acceptRequestFrom('Alice Liddell');
  await alice.createGroup('Trip', ['bob', 'carol']);

  // Alice makes the poll from the attach menu.
  await alice.page.getByRole('button', { name: 'Attach menu' }).click();
  await alice.page.getByRole('menuitem', { name: 'Poll' }).click();
  const dialog = alice.page.getByRole('dialog', { name: 'New poll' });
  const send = dialog.getByRole('button', { name: 'Send', exact: true });
  await dialog.getByRole('textbox', { name: 'Question' }).fill('Where shall we go?');
  await dialog.getByRole('textbox', { name: 'Option 1' }).fill('Lake');
  await expect(send).toBeDisabled();
  await dialog.getByRole('textbox', { name: 'Option 2' }).fill('Hills');
  await dialog.getByRole('button', { name: 'Add option' }).click();
  await dialog.getByRole('textbox', { name: 'Option 3' }).fill('Sea');
  await expect(dialog.getByRole('checkbox', { name: 'Allow multiple answers' })).not.toBeChecked();
  await send.click();
  await expect(dialog).toBeHidden();

  for (const person of [alice, bob, carol]) {
    if (person !== alice) await person.openConversationWith('Trip');
    await expect(pollOf(person)).toBeVisible({ timeout: 30_000 });
    await expectCounts(pollOf(person), [0, 0, 0]);
  }

  // Bob votes while working offline: his screen counts it at once; the others see it when he is back.
  await bob.setWorkOffline(true);
  await pollOf(bob).getByRole('radio', { name: 'Sea', exact: true }).check();
  await expect(pollOf(bob).getByRole('radio', { name: 'Sea', exact: true })).toBeChecked();
  await expectCounts(pollOf(bob), [0, 0, 1]);

  await pollOf(carol).getByRole('radio', { name: 'Hills', exact: true }).check();
  await pollOf(alice).getByRole('radio', { name: 'Lake', exact: true }).check();
  // Alice changes her mind: one vote per person, the latest.
  await pollOf(alice).getByRole('radio', { name: 'Hills', exact: true }).check();
  await expectCounts(pollOf(alice), [0, 2, 0]);
  await expectCounts(pollOf(carol), [0, 2, 0]);

  await bob.setWorkOffline(false);
  for (const person of [alice, bob, carol]) await expectCounts(pollOf(person), [0, 2, 1]);
  await expect(alice.message('Where shall we go?')).toContainText('3 people voted');

  // "View votes" names who chose what.
  await alice.message('Where shall we go?').getByRole('button', { name: 'View votes' }).click();
  const votes = alice.page.getByRole('dialog', { name: 'Votes' });
  await expect(votes).toContainText('Bob Builder');
  await expect(votes).toContainText('Carol Chen');
  await votes.getByRole('button', { name: 'Close' }).first().click();

  // Only the author can end it; once ended, nobody can vote, on any screen.
  await expect(bob.message('Where shall we go?').getByRole('button', { name: 'End poll' })).toHaveCount(0);
  await alice.message('Where shall we go?').getByRole('button', { name: 'End poll' }).click();
  await alice.page.getByRole('dialog', { name: 'End poll?' }).getByRole('button', { name: 'End poll' }).click();
  for (const person of [alice, bob, carol]) {
    await expect(person.message('Where shall we go?')).toContainText('Poll ended', { timeout: 30_000 });
    await expect(pollOf(person).getByRole('radio', { name: 'Lake', exact: true })).toBeDisabled();
    await expectCounts(pollOf(person), [0, 2, 1]);
  }
});
