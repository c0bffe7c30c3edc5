import type { Locator } from '@playwright/test';
import { expect, test } from './support/app.js';
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

interface CallStats {
  inboundVideoFramesDecoded: number;
  inboundVideoFrameWidth: number | null;
  inboundAudioLevel: number | null;
  inboundAudioEnergy: number;
  inboundAudioBytes: number;
}

async function stats(call: Locator): Promise<CallStats | null> {
  const text = await call.getAttribute('data-call-stats');
  return text ? (JSON.parse(text) as CallStats) : null;
}

function callOf(messenger: MessengerPage): Locator {
  return messenger.page.getByRole('region', { name: 'Call', exact: true });
}

async function expectTicking(call: Locator) {
  const duration = call.getByRole('timer', { name: 'Call duration' });
  await expect(duration).toHaveText(/^\d+:\d\d$/);
  const first = await duration.textContent();
  await expect(duration).not.toHaveText(first ?? '', { timeout: 5_000 });
}

async function expectMediaArrives(call: Locator) {
  await expect.poll(async () => (await stats(call))?.inboundVideoFramesDecoded ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  await expect.poll(async () => (await stats(call))?.inboundAudioBytes ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  // The fake microphone beeps: some sound energy arrives, and a level is reported.
  await expect.poll(async () => (await stats(call))?.inboundAudioEnergy ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
  expect(typeof (await stats(call))?.inboundAudioLevel).toBe('number');
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
  const widthBefore = (await stats(bobCall))?.inboundVideoFrameWidth;
  expect(widthBefore).toBeGreaterThan(0);
  await aliceCall.getByRole('button', { name: 'Share screen', exact: true }).click();
  await expect(aliceCall.getByRole('button', { name: 'Stop sharing', exact: true })).toBeVisible();
  await expect(aliceCall.getByLabel('Your screen')).toBeVisible();
  await expect.poll(async () => (await stats(bobCall))?.inboundVideoFrameWidth, { timeout: 20_000 }).not.toBe(widthBefore);
  await expect(bobCall.getByLabel('Video from Alice Liddell')).toBeVisible();

  // Alice hangs up: the call ends on both sides, says so for a moment, and goes.
  await aliceCall.getByRole('button', { name: 'Hang up', exact: true }).click();
  await expect(aliceCall.getByRole('status')).toHaveText('Call ended');
  await expect(bobCall.getByRole('status')).toHaveText('Call ended');
  await expect(aliceCall).toBeHidden();
  await expect(bobCall).toBeHidden();
  await expect(videoCall).toBeEnabled();
});

test('a call rings on each of the callee’s devices and stops on the others when one declines or answers; offline, the buttons say why they are off', async ({
  launchApp,
}) => {
  const { alice, bob, aliceNetwork, server } = await aliceAndBob(launchApp, resources, 'calls');
  const { messenger: laptop } = await launchApp({ name: 'calls-alice-laptop', serverUrl: server.url });
  await alice.linkDevice(await laptop.logInToBeLinked('alice'));
  await expect(laptop.conversations).toBeVisible();
  await expect(laptop.connection).toContainText('Online');
  // A group has no call buttons (one-to-one calls only, for now).
  await bob.createGroup('Trip', ['alice']);
  await expect(bob.page.getByRole('heading', { name: 'Trip', exact: true })).toBeVisible();
  await expect(bob.page.getByRole('button', { name: 'Voice call', exact: true })).toHaveCount(0);
  await expect(bob.page.getByRole('button', { name: 'Video call', exact: true })).toHaveCount(0);

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
  await expect.poll(async () => (await stats(bobCall))?.inboundAudioBytes ?? 0, { timeout: 20_000 }).toBeGreaterThan(0);
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
  for (const name of ['Voice call', 'Video call']) {
    const button = alice.page.getByRole('button', { name, exact: true });
    await expect(button).toBeDisabled();
    await expect(button).toHaveAccessibleDescription("You're offline");
  }
  aliceNetwork.restore();
  await expect(voiceCall).toBeEnabled({ timeout: 45_000 });
});
