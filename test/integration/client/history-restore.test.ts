/**
 * History back with no other device at hand (content/personal-settings.ts: sender_key, crypto/
 * device-crypto.ts: restoreSenderKeys): every sender key a device of the account started or was
 * handed is kept sealed with the settings, so a device restored with the recovery key, or a
 * mirror started fresh beside the kept keys file, opens the history the server still holds: its
 * own messages, the other person's, edits and reactions, a group, a conversation longer than a page.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClientHarness, eventually, holdingFrames, type TestCore } from '../../support/client-harness.js';
import { acceptedBy, online, person, sharedPage } from '../../support/people.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function signedUp(server: TestServer, username: string): Promise<{ core: TestCore; userId: string }> {
  const { core } = await person(clients, server, username);
  return { core, userId: (await core.getSession())!.user.id };
}

/**
 * Alice and Bob write to each other (more than a page, mixed authors, an edit, a reaction), and in
 * a group with Carol; everything has reached everyone.
 */
async function aHistory() {
  const server = await servers.startServer();
  const { core: alice } = await signedUp(server, 'alice');
  const { core: bob, userId: bobId } = await signedUp(server, 'bob');
  const { core: carol, userId: carolId } = await signedUp(server, 'carol');
  const direct = await alice.startConversation({ username: 'bob' });
  await acceptedBy(bob, direct.id);
  for (let i = 0; i < 60; i += 1) {
    const author = i % 3 === 2 ? bob : alice;
    await author.sendMessage({ conversationId: direct.id, text: `message ${i}` });
  }
  const edited = await alice.sendMessage({ conversationId: direct.id, text: 'first words' });
  await eventually(
    () => sharedPage(bob, direct.id),
    (page) => page.some((m) => m.id === edited.id),
    'the message to edit on Bob’s side',
  );
  await alice.editMessage({ conversationId: direct.id, messageId: edited.id, text: 'better words' });
  await bob.setReaction({ conversationId: direct.id, messageId: edited.id, emoji: '👍', on: true });

  const toCarol = await alice.startConversation({ username: 'carol' });
  await acceptedBy(carol, toCarol.id);
  const group = await alice.createGroup({ name: 'Trip', memberIds: [bobId, carolId] });
  await acceptedBy(carol, group.id);
  await carol.sendMessage({ conversationId: group.id, text: 'hello trip' });
  await alice.sendMessage({ conversationId: group.id, text: 'hi all' });
  await bob.sendMessage({ conversationId: group.id, text: 'count me in' });

  for (const [conversationId, count] of [
    [direct.id, 61],
    [group.id, 3],
  ] as const) {
    for (const core of [alice, bob]) {
      await eventually(
        () => sharedPage(core, conversationId),
        (page) =>
          page.length === count &&
          page.every((m) => m.seq !== null) &&
          page.some((m) => m.reactions.length === 1 || conversationId === group.id) &&
          page.some((m) => m.text === 'better words' || conversationId === group.id) &&
          page.some((m) => m.text === 'count me in' || conversationId === direct.id),
        `conversation ${conversationId} settled`,
      );
    }
  }
  return { server, alice, bob, carol, direct, group };
}

describe('history without another device', () => {
  it('a device restored with the recovery key opens the whole history, its own messages and others’, and what comes after', async () => {
    const { server, alice, bob, carol, direct, group } = await aHistory();
    const recoveryKey = (await alice.getUnsavedRecoveryKey())!;
    expect(recoveryKey).toMatch(/^[a-z0-9]{64}$/);
    const reference = { direct: await sharedPage(alice, direct.id), group: await sharedPage(alice, group.id) };
    // Alice's phone is lost; nobody else is online to send anything again when asked.
    const bobProfile = bob.profileDir;
    for (const core of [alice, bob, carol]) await core.close();

    const laptop = await clients.open(await clients.profileDir(), server.url);
    await laptop.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
    await eventually(
      () => laptop.getLinkState(),
      (state) => state.kind === 'waiting',
      'the laptop waits for the identity',
    );
    expect(await laptop.restoreFromRecoveryKey({ recoveryKey })).toBe('restored');
    for (const [conversationId, expected] of [
      [direct.id, reference.direct],
      [group.id, reference.group],
    ] as const) {
      await eventually(
        () => sharedPage(laptop, conversationId),
        (page) => JSON.stringify(page) === JSON.stringify(expected),
        `conversation ${conversationId} on the restored laptop`,
        30_000,
      );
    }

    const bobAgain = await clients.open(bobProfile, server.url);
    await online(bobAgain);
    await bobAgain.sendMessage({ conversationId: direct.id, text: 'after the restore' });
    await eventually(
      () => sharedPage(laptop, direct.id),
      (page) => page.at(-1)?.text === 'after the restore',
      'a message sent after the restore',
    );
  }, 120_000);

  it('a mirror started fresh beside the kept keys file opens the whole history after signing in again', async () => {
    const { server, alice, bob, carol, direct, group } = await aHistory();
    const reference = { direct: await sharedPage(alice, direct.id), group: await sharedPage(alice, group.id) };
    const profileDir = alice.profileDir;
    // Nobody else is online to send anything again when asked.
    for (const core of [alice, bob, carol]) await core.close();
    // The mirror is gone (damaged, set aside); the account keys file beside it stays.
    const mirrorFiles = readdirSync(profileDir).filter((name) => name.startsWith('mirror'));
    expect(mirrorFiles.length).toBeGreaterThan(0);
    for (const name of mirrorFiles) rmSync(join(profileDir, name), { force: true });

    const fresh = await clients.open(profileDir, server.url);
    await fresh.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
    await online(fresh);
    for (const [conversationId, expected] of [
      [direct.id, reference.direct],
      [group.id, reference.group],
    ] as const) {
      await eventually(
        () => sharedPage(fresh, conversationId),
        (page) => JSON.stringify(page) === JSON.stringify(expected),
        `conversation ${conversationId} in the fresh mirror`,
        30_000,
      );
    }
  }, 120_000);

  it('a device still catching up when the recovery key is typed restores at once', async () => {
    const { server, alice, direct } = await aHistory();
    const recoveryKey = (await alice.getUnsavedRecoveryKey())!;
    await alice.close();
    // The laptop's catch-up is slow (a long history, a slow link): its pages are held back.
    let slow = true;
    const held = holdingFrames((text) => slow && text.includes('"type":"events"'));
    const laptop = await clients.open(await clients.profileDir(), server.url, held.transport);
    await laptop.logIn({ serverUrl: server.url, username: 'alice', password: DEFAULT_TEST_PASSWORD });
    await eventually(
      () => laptop.getLinkState(),
      (state) => state.kind === 'waiting',
      'the laptop waits for the identity',
    );
    await eventually(
      () => held.waiting.length,
      (count) => count > 0,
      'a catch-up page held back',
    );
    expect(await laptop.restoreFromRecoveryKey({ recoveryKey })).toBe('restored');
    slow = false;
    held.release();
    await eventually(
      () => sharedPage(laptop, direct.id),
      (page) => page.some((m) => m.text === 'better words'),
      'the history on the restored laptop',
      30_000,
    );
  }, 120_000);
});
