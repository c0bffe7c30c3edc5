import type { Locator } from '@playwright/test';
import { expect, test } from './support/app.js';
import { callOf, callStats, expectCallButtonsOffline } from './support/calls.js';
import type { MessengerPage } from './support/messenger-page.js';
import { cleanedUpAfterEach, threePeople } from './support/test-resources.js';

/**
 * A group video call (issue 32) between three browser hosts on 127.0.0.1, a full mesh: Alice
 * starts it in the group, Bob and Carol join from "Join call", and each receives video and sound
 * from both others (read per person from each tile's data-call-stats); Bob's mute shows on his
 * tile; Carol's window reloads mid-call and she is back in it, the group open behind; the call
 * goes on as a bar while Alice reads a conversation; Carol leaves and can join again, and once the
 * last two leave the call is gone for everyone. Chromium's fake camera and microphone
 * stand in for real devices.
 */
test.use({ chromiumSwitches: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });

const resources = cleanedUpAfterEach();

/** Three people each sending video to two others on two cores: media takes its time. */
const MEDIA_TIMEOUT = 45_000;

/** The tile of one other person in the call. */
function tileOf(call: Locator, name: string): Locator {
  return call.getByRole('listitem', { name, exact: true });
}

function joinCall(messenger: MessengerPage): Locator {
  return messenger.page.getByRole('button', { name: 'Join call', exact: true });
}

/** Video frames and sound (the fake microphone beeps: some energy) arrive from this person. */
async function expectMediaFrom(call: Locator, name: string) {
  const tile = tileOf(call, name);
  await expect(tile.getByLabel(`Video from ${name}`)).toBeVisible({ timeout: MEDIA_TIMEOUT });
  await expect
    .poll(async () => (await callStats(tile))?.inboundVideoFramesDecoded ?? 0, { timeout: MEDIA_TIMEOUT })
    .toBeGreaterThan(0);
  await expect.poll(async () => (await callStats(tile))?.inboundAudioBytes ?? 0, { timeout: MEDIA_TIMEOUT }).toBeGreaterThan(0);
  await expect.poll(async () => (await callStats(tile))?.inboundAudioEnergy ?? 0, { timeout: MEDIA_TIMEOUT }).toBeGreaterThan(0);
}

test('a group video call: started in the group, joined by two, media from everyone to everyone, mute, leaving and joining again', async ({
  launchApp,
}) => {
  test.setTimeout(300_000);
  const { alice, bob, carol, aliceNetwork } = await threePeople(launchApp, resources, 'group-calls');
  // Alice has talked to Bob and Carol before, and they accepted her: her group is no request to them.
  await alice.startConversation('bob');
  await alice.startConversation('carol');
  await bob.acceptRequestFrom('Alice Liddell');
  await carol.acceptRequestFrom('Alice Liddell');
  await alice.createGroup('Trip', ['bob', 'carol']);
  await alice.openConversationWith('Trip');
  for (const side of [bob, carol]) {
    await expect(side.conversationWith('Trip')).toBeVisible({ timeout: 30_000 });
    await side.openConversationWith('Trip');
    await expect(side.connection).toContainText('Online');
    // No call goes on yet: only the buttons that start one.
    await expect(side.page.getByRole('button', { name: 'Video call', exact: true })).toBeEnabled();
    await expect(joinCall(side)).toHaveCount(0);
  }

  // Alice starts the group's call: alone in it, she waits.
  await alice.page.getByRole('button', { name: 'Video call', exact: true }).click();
  const aliceCall = callOf(alice);
  await expect(aliceCall).toBeVisible();
  await expect(aliceCall.getByRole('heading', { name: 'Trip', exact: true })).toBeVisible();
  await expect(aliceCall.getByRole('status')).toHaveText('Waiting for others…');
  await expect(aliceCall.getByRole('timer', { name: 'Call duration' })).toHaveText(/^\d+:\d\d$/);
  await expect(aliceCall.getByLabel('Your camera')).toBeVisible();

  // The call's start is in the group's log for the others, and on the list for Alice, whose call fills the pane.
  for (const side of [bob, carol]) {
    await expect(side.page.getByRole('note').filter({ hasText: /^Video call started$/ })).toHaveCount(1, { timeout: 30_000 });
  }
  await expect(alice.conversationWith('Trip')).toContainText('Video call started');

  // Bob and Carol see the call going on in the group, and join it.
  for (const side of [bob, carol]) {
    await expect(joinCall(side)).toBeEnabled({ timeout: 30_000 });
    await joinCall(side).click();
    await expect(callOf(side)).toBeVisible();
  }
  const bobCall = callOf(bob);
  const carolCall = callOf(carol);

  // Each of the three receives video and sound from both others.
  const everyone: Array<[Locator, string[]]> = [
    [aliceCall, ['Bob Builder', 'Carol Chen']],
    [bobCall, ['Alice Liddell', 'Carol Chen']],
    [carolCall, ['Alice Liddell', 'Bob Builder']],
  ];
  for (const [call, others] of everyone) {
    await expect(call.getByRole('listitem')).toHaveCount(2, { timeout: MEDIA_TIMEOUT });
    await expect(call.getByRole('status')).toHaveCount(0);
    for (const name of others) await expectMediaFrom(call, name);
  }
  await expect(tileOf(aliceCall, 'Bob Builder').getByText('Muted', { exact: true })).toHaveCount(0);

  // Bob mutes: Alice and Carol see it on his tile.
  await bobCall.getByRole('button', { name: 'Mute', exact: true }).click();
  await expect(bobCall.getByRole('button', { name: 'Unmute', exact: true })).toBeVisible();
  for (const call of [aliceCall, carolCall]) {
    await expect(tileOf(call, 'Bob Builder').getByText('Muted', { exact: true })).toBeVisible();
    await expect(tileOf(call, 'Carol Chen').getByText('Muted', { exact: true })).toHaveCount(0);
  }

  // Carol's window reloads mid-call: she is in it again, and media flows again with both others.
  await carol.page.reload();
  await expect(carolCall).toBeVisible({ timeout: 30_000 });
  for (const [call, others] of everyone) {
    await expect(call.getByRole('listitem')).toHaveCount(2, { timeout: MEDIA_TIMEOUT });
    if (call === carolCall) for (const name of others) await expectMediaFrom(call, name);
  }
  for (const call of [aliceCall, bobCall]) await expectMediaFrom(call, 'Carol Chen');

  // Alice reads a conversation meanwhile: the call goes on as a bar, and she comes back to it. One
  // call at a time: Bob cannot be rung from there meanwhile.
  await alice.openConversationWith('Bob Builder');
  await expect(aliceCall).toBeHidden();
  const ringBob = alice.page.getByRole('button', { name: 'Video call', exact: true });
  await expect(ringBob).toBeDisabled();
  await expect(ringBob).toHaveAccessibleDescription('You’re already in a call');
  const returnToCall = alice.page.getByRole('button', { name: 'Return to call', exact: true });
  await returnToCall.click();
  await expect(aliceCall).toBeVisible();
  await expect(tileOf(aliceCall, 'Carol Chen').getByLabel('Video from Carol Chen')).toBeVisible();

  // Carol hangs up: Alice and Bob have one tile left, and Carol may join again as the call goes on.
  await carolCall.getByRole('button', { name: 'Hang up', exact: true }).click();
  await expect(carolCall).toBeHidden();
  for (const call of [aliceCall, bobCall]) {
    await expect(tileOf(call, 'Carol Chen')).toHaveCount(0);
    await expect(call.getByRole('listitem')).toHaveCount(1);
  }
  // Her window was reloaded mid-call and opened the group behind the call: it is there, with "Join call".
  await expect(carol.page.getByRole('region', { name: 'Trip', exact: true })).toBeVisible();
  await expect(joinCall(carol)).toBeEnabled();

  // Alice and Bob hang up: the call is over, and nobody is offered to join it.
  await aliceCall.getByRole('button', { name: 'Hang up', exact: true }).click();
  await expect(bobCall.getByRole('status')).toHaveText('Waiting for others…');
  await bobCall.getByRole('button', { name: 'Hang up', exact: true }).click();
  await alice.openConversationWith('Trip');
  for (const side of [alice, bob, carol]) {
    await expect(callOf(side)).toHaveCount(0);
    await expect(joinCall(side)).toHaveCount(0);
    await expect(side.page.getByRole('button', { name: 'Video call', exact: true })).toBeEnabled();
  }

  // Offline, the group's call buttons are off and say why.
  aliceNetwork.cut();
  await expect(alice.connection).toContainText('Offline');
  await expectCallButtonsOffline(alice);
});
