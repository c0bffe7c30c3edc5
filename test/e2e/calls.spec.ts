import type { Locator } from '@playwright/test';
import { expect, test } from './support/app.js';
import { callOf, callStats, expectCallButtonsOffline } from './support/calls.js';
import type { MessengerPage } from './support/messenger-page.js';
import { startServer, tempDir } from './support/processes.js';
import { aliceAndBob, cleanedUpAfterEach } from './support/test-resources.js';

/**
 * A one-to-one video call (issue 32) between two browser hosts on 127.0.0.1: it rings, is
 * answered, media flows both ways (read from getStats through the call region's data-call-stats),
 * mute, camera off and screen sharing reach the other side, and hanging up ends it on both.
 * Chromium's fake camera, microphone and screen picker stand in for real devices.
 */
test.use({ chromiumSwitches: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });

const resources = cleanedUpAfterEach();
const { running, dirs } = resources;

async function expectTicking(call: Locator) {
  const duration = call.getByRole('timer', { name: 'Call duration' });
  await expect(duration).toHaveText(/^\d+:\d\d$/);
  const first = await duration.textContent();
  await expect(duration).not.toHaveText(first ?? '', { timeout: 5_000 });
}

async function expectMediaArrives(call: Locator) {
  await expect.poll(async () => (await callStats(call))?.inboundVideoFramesDecoded ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect.poll(async () => (await callStats(call))?.inboundAudioBytes ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  // The fake microphone beeps: some sound energy arrives, and a level is reported.
  await expect.poll(async () => (await callStats(call))?.inboundAudioEnergy ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  expect(typeof (await callStats(call))?.inboundAudioLevel).toBe('number');
}

/**
 * Settings → Calls lists Chromium's fake devices by name (the call has the permission that names
 * them); choosing a microphone and a camera mid-call swaps the tracks sent, and media keeps arriving.
 */
async function chooseCallDevices(messenger: MessengerPage, otherCall: Locator) {
  await messenger.page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = messenger.page.getByRole('dialog', { name: 'Settings' });
  const calls = settings.getByRole('region', { name: 'Calls', exact: true });
  const microphone = calls.getByRole('combobox', { name: 'Microphone', exact: true });
  const camera = calls.getByRole('combobox', { name: 'Camera', exact: true });
  const speaker = calls.getByRole('combobox', { name: 'Speaker', exact: true });
  await expect(microphone).toHaveValue('');
  // The system default is the first option, not listed again as Chromium's "default" device.
  await expect(microphone.getByRole('option')).toHaveText(['System default', 'Fake Audio Input 1', 'Fake Audio Input 2']);
  await expect(camera.getByRole('option')).toHaveText(['System default', 'fake_device_0']);
  await expect(speaker.getByRole('option')).toHaveText(['System default', 'Fake Audio Output 1', 'Fake Audio Output 2']);

  await microphone.selectOption({ label: 'Fake Audio Input 2' });
  await camera.selectOption({ label: 'fake_device_0' });
  await speaker.selectOption({ label: 'Fake Audio Output 1' });
  for (const select of [microphone, camera, speaker]) await expect(select).not.toHaveValue('');
  // Counted from after the swap (a moment for the new devices to open): the old tracks are stopped,
  // so only the new ones can still add sound energy and frames on the other side.
  await messenger.page.waitForTimeout(2_000);
  const after = await callStats(otherCall);
  await expect
    .poll(async () => (await callStats(otherCall))?.inboundAudioEnergy ?? 0, { timeout: 20_000 })
    .toBeGreaterThan(after?.inboundAudioEnergy ?? 0);
  await expect
    .poll(async () => (await callStats(otherCall))?.inboundVideoFramesDecoded ?? 0, { timeout: 20_000 })
    .toBeGreaterThan(after?.inboundVideoFramesDecoded ?? 0);
  await settings.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(settings).toBeHidden();
}

test('a video call rings, connects with media both ways, shows mute, camera off and a shared screen, and hangs up on both sides', async ({
  launchApp,
}) => {
  const serverData = tempDir('e2e-server-');
  dirs.push(serverData);
  const server = await startServer(serverData.path);
  running.push(server);
  const { messenger: alice } = await launchApp({ name: 'alice', serverUrl: server.url });
  const { messenger: bob } = await launchApp({ name: 'bob', serverUrl: server.url });
  await bob.createAccount('bob', 'Bob Builder');
  await alice.createAccount('alice', 'Alice Liddell');
  // They know each other: Bob started the conversation, and Alice's own start accepts it on her side.
  await bob.startConversation('alice');
  await alice.startConversation('bob');
  await expect(alice.connection).toContainText('Online');
  await expect(bob.connection).toContainText('Online');

  const videoCall = alice.page.getByRole('button', { name: 'Video call', exact: true });
  await expect(videoCall).toBeEnabled();
  await expect(alice.page.getByRole('button', { name: 'Voice call', exact: true })).toBeEnabled();
  await videoCall.click();

  const aliceCall = callOf(alice);
  await expect(aliceCall).toBeVisible();
  await expect(aliceCall.getByRole('status')).toHaveText('Calling…');

  const incoming = bob.page.getByRole('dialog', { name: 'Incoming call' });
  await expect(incoming).toBeVisible();
  await expect(incoming).toContainText('Alice Liddell');
  await expect(incoming.getByRole('button', { name: 'Accept', exact: true })).toBeVisible();
  await expect(incoming.getByRole('button', { name: 'Decline', exact: true })).toBeVisible();
  await incoming.getByRole('button', { name: 'Accept with video', exact: true }).click();
  await expect(incoming).toBeHidden();

  const bobCall = callOf(bob);
  await expect(bobCall).toBeVisible();
  for (const call of [aliceCall, bobCall]) await expectTicking(call);
  for (const call of [aliceCall, bobCall]) await expectMediaArrives(call);
  await expect(aliceCall.getByLabel('Video from Bob Builder')).toBeVisible();
  await expect(bobCall.getByLabel('Video from Alice Liddell')).toBeVisible();
  await expect(aliceCall.getByText('Muted', { exact: true })).toBeHidden();

  // Alice picks her microphone and camera in Settings → Calls during the call: the new tracks reach Bob.
  await chooseCallDevices(alice, bobCall);

  // Bob looks at the conversation meanwhile: the call goes on as a bar, and he comes back to it.
  await bob.openConversationWith('Alice Liddell');
  await expect(bobCall).toBeHidden();
  const returnToCall = bob.page.getByRole('button', { name: 'Return to call', exact: true });
  await expect(returnToCall).toBeVisible();
  await expect(bob.page.getByRole('timer', { name: 'Call duration' })).toHaveText(/^\d+:\d\d$/);
  await returnToCall.click();
  await expect(bobCall).toBeVisible();
  await expect(returnToCall).toBeHidden();

  // Bob mutes: Alice sees it.
  await bobCall.getByRole('button', { name: 'Mute', exact: true }).click();
  await expect(bobCall.getByRole('button', { name: 'Unmute', exact: true })).toBeVisible();
  await expect(aliceCall.getByText('Muted', { exact: true })).toBeVisible();

  // Bob turns his camera off: Alice sees his picture instead of his video.
  await bobCall.getByRole('button', { name: 'Turn camera off', exact: true }).click();
  await expect(bobCall.getByRole('button', { name: 'Turn camera on', exact: true })).toBeVisible();
  await expect(aliceCall.getByRole('img', { name: 'Bob Builder’s camera is off' })).toBeVisible();
  await expect(aliceCall.getByLabel('Video from Bob Builder')).toHaveCount(0);

  // Alice shares her screen (the fake picker chooses it): it replaces her camera in what Bob receives.
  // Bob's call view came back a moment ago, so its first stats are read once they are there.
  await expect.poll(async () => (await callStats(bobCall))?.inboundVideoFrameWidth ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  const widthBefore = (await callStats(bobCall))?.inboundVideoFrameWidth;
  await aliceCall.getByRole('button', { name: 'Share screen', exact: true }).click();
  await expect(aliceCall.getByRole('button', { name: 'Stop sharing', exact: true })).toBeVisible();
  await expect(aliceCall.getByLabel('Your screen')).toBeVisible();
  await expect.poll(async () => (await callStats(bobCall))?.inboundVideoFrameWidth, { timeout: 20_000 }).not.toBe(widthBefore);
  await expect(bobCall.getByLabel('Video from Alice Liddell')).toBeVisible();

  // Alice hangs up: the call ends on both sides, says so for a moment, and goes.
  await aliceCall.getByRole('button', { name: 'Hang up', exact: true }).click();
  await expect(aliceCall.getByRole('status')).toHaveText('Call ended');
  await expect(bobCall.getByRole('status')).toHaveText('Call ended');
  await expect(aliceCall).toBeHidden();
  await expect(bobCall).toBeHidden();
  await expect(videoCall).toBeEnabled();
  // The call left its entry in the conversation on both sides, with how long it lasted.
  for (const side of [alice, bob]) {
    await expect(side.page.getByRole('note').filter({ hasText: /^Video call, \d+:\d{2}$/ })).toHaveCount(1);
  }
});

test('a call rings on each of the callee’s devices and stops on the others when one declines or answers; offline, the buttons say why they are off', async ({
  launchApp,
}) => {
  const { alice, bob, aliceNetwork, server } = await aliceAndBob(launchApp, resources, 'calls');
  const { messenger: laptop } = await launchApp({ name: 'calls-alice-laptop', serverUrl: server.url });
  await alice.linkDevice(await laptop.logInToBeLinked('alice'));
  await expect(laptop.conversations).toBeVisible();
  await expect(laptop.connection).toContainText('Online');
  // A group has the same buttons, for its own call (group-calls.spec.ts).
  await bob.createGroup('Trip', ['alice']);
  await expect(bob.page.getByRole('heading', { name: 'Trip', exact: true })).toBeVisible();
  await expect(bob.page.getByRole('button', { name: 'Voice call', exact: true })).toBeEnabled();
  await expect(bob.page.getByRole('button', { name: 'Video call', exact: true })).toBeEnabled();

  await bob.openConversationWith('Alice Liddell');
  const voiceCallAlice = bob.page.getByRole('button', { name: 'Voice call', exact: true });
  const phoneRings = alice.page.getByRole('dialog', { name: 'Incoming call' });
  const laptopRings = laptop.page.getByRole('dialog', { name: 'Incoming call' });
  const bobCall = callOf(bob);

  // Declined on the phone: Bob hears so, and the laptop stops ringing too.
  await voiceCallAlice.click();
  await expect(laptopRings).toBeVisible();
  await phoneRings.getByRole('button', { name: 'Decline', exact: true }).click();
  await expect(bobCall.getByRole('status')).toHaveText('Declined');
  await expect(laptopRings).toBeHidden();
  await expect(bobCall).toBeHidden();

  await voiceCallAlice.click();
  await expect(phoneRings).toContainText('Bob Builder');
  await expect(laptopRings).toContainText('Bob Builder');

  await laptopRings.getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(phoneRings).toBeHidden();
  await expect(alice.page.getByRole('status').filter({ hasText: 'Answered on another device' })).toBeVisible();
  await expect(callOf(alice)).toHaveCount(0);

  // A voice call: media flows, and each side shows the other's picture, not video.
  const laptopCall = callOf(laptop);
  for (const call of [laptopCall, bobCall]) await expectTicking(call);
  await expect.poll(async () => (await callStats(bobCall))?.inboundAudioBytes ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect(bobCall.getByRole('img', { name: 'Alice Liddell’s camera is off' })).toBeVisible();
  await expect(laptopCall.getByRole('img', { name: 'Bob Builder’s camera is off' })).toBeVisible();

  await bobCall.getByRole('button', { name: 'Hang up', exact: true }).click();
  await expect(laptopCall).toBeHidden();
  await expect(bobCall).toBeHidden();

  // Alice's phone loses its connection: its call buttons are off, and say why.
  await alice.openConversationWith('Bob Builder');
  const voiceCall = alice.page.getByRole('button', { name: 'Voice call', exact: true });
  await expect(voiceCall).toBeEnabled();
  aliceNetwork.cut();
  await expect(alice.connection).toContainText('Offline');
  await expectCallButtonsOffline(alice);
  aliceNetwork.restore();
  await expect(voiceCall).toBeEnabled({ timeout: 45_000 });
});

test('a call to someone whose devices are all offline reaches them when they come back as one "Missed voice call", and "Call back" rings the caller', async ({
  launchApp,
}) => {
  const { alice, bob, aliceNetwork } = await aliceAndBob(launchApp, resources, 'missed-call');
  await alice.openConversationWith('Bob Builder');
  await bob.openConversationWith('Alice Liddell');
  aliceNetwork.cut();
  await expect(alice.connection).toContainText('Offline');

  // Bob rings; none of Alice's devices is there to ring, and he gives up.
  await bob.page.getByRole('button', { name: 'Voice call', exact: true }).click();
  const bobCall = callOf(bob);
  await expect(bobCall.getByRole('status')).toHaveText('Calling…');
  await bobCall.getByRole('button', { name: 'Hang up', exact: true }).click();
  await expect(bobCall).toBeHidden();
  await expect(bob.page.getByRole('note').filter({ hasText: /^Voice call Cancelled$/ })).toHaveCount(1);

  // Alice's phone comes back: the call reaches it through the sync, once, as missed.
  aliceNetwork.restore();
  await expect(alice.connection).toContainText('Online', { timeout: 45_000 });
  const missed = alice.page.getByRole('note').filter({ hasText: 'Missed voice call' });
  await expect(missed).toHaveCount(1);
  await expect(alice.page.getByRole('note').filter({ hasText: 'Cancelled' })).toHaveCount(0);

  // "Call back" rings Bob.
  await missed.getByRole('button', { name: 'Call back', exact: true }).click();
  const bobRings = bob.page.getByRole('dialog', { name: 'Incoming call' });
  await expect(bobRings).toContainText('Alice Liddell');
  await bobRings.getByRole('button', { name: 'Decline', exact: true }).click();
  await expect(callOf(alice).getByRole('status')).toHaveText('Declined');
  await expect(alice.page.getByRole('note').filter({ hasText: /^Declined$/ })).toHaveCount(1);
  await expect(missed).toHaveCount(1);
});
