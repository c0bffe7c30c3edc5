/**
 * Safety numbers between real engines on a real server with real libsignal (client/safety-numbers.ts):
 * both people read the same digits from keys asked of the server (fetch_identity); a person with
 * no keys has none; when someone's identity key changes, the next look notices it: a notice in
 * every conversation shared with them, their verification cleared, a question before the next
 * send, and a different number.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SafetyNumbers } from '../../../sync/client/safety-numbers.js';
import { engineDevices, groupOf, signal, type ConversationMember } from '../../support/crypto-devices.js';
import { firstPublish } from '../../support/key-material.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const { member, cleanup } = engineDevices(servers);
afterEach(async () => {
  await cleanup();
  await servers.cleanup();
});

/** The app API's safety number calls on a member's device; `noticed` collects the conversations its mirror gave notices. */
function numbersOn(of: ConversationMember, noticed: string[] = []): SafetyNumbers {
  of.device.mirror.identityTrust.onNotices((conversationIds) => noticed.push(...conversationIds));
  return new SafetyNumbers({
    mirror: of.device.mirror,
    selfId: of.device.userId,
    clock: { now: Date.now },
    keyring: { localIdentity: async () => ({ signal, identity: of.device.identity }) },
    engine: of.device.engine,
  });
}

const numberOf = async (numbers: SafetyNumbers, userId: string) => {
  const view = await numbers.get(userId);
  if (view.kind !== 'number') throw new Error(`No safety number: ${view.kind}`);
  return view;
};

describe('safety numbers', () => {
  it('gives both people the same sixty digits from the keys on the server; none for someone without keys', async () => {
    const server = await servers.startServer();
    const [alice, bob] = [await member(server, 'alice'), await member(server, 'bob')];
    const hers = await numberOf(numbersOn(alice), bob.device.userId);
    const his = await numberOf(numbersOn(bob), alice.device.userId);
    expect(hers.digits).toMatch(/^\d{60}$/);
    expect(his.digits).toBe(hers.digits);
    expect(hers.verified).toBe(false);
    expect(hers.identityKey).toBe(Buffer.from(bob.device.identity.publicKey.serialize()).toString('base64'));
    // Kept as the key trusted on first use: the same number offline.
    expect(alice.device.mirror.signal.identity(bob.device.userId)?.publicKey).toEqual(
      Buffer.from(bob.device.identity.publicKey.serialize()),
    );
    const keyless = await servers.createAccount(server, { username: 'carol' });
    expect(await numbersOn(alice).get(keyless.user.id)).toEqual({ kind: 'no_keys', userId: keyless.user.id });
    expect(await numbersOn(alice).get('nobody')).toEqual({ kind: 'no_keys', userId: 'nobody' });
  });

  it('notices a changed identity key: notices where they are, verification cleared, asked before sending, a new number', async () => {
    const server = await servers.startServer();
    const [alice, bob, carol] = [await member(server, 'alice'), await member(server, 'bob'), await member(server, 'carol')];
    const withBob = await groupOf(alice, [bob, carol]);
    const withoutBob = await groupOf(alice, [carol]);
    const noticed: string[] = [];
    const numbers = numbersOn(alice, noticed);
    const before = await numberOf(numbers, bob.device.userId);
    numbers.setVerified(bob.device.userId, before.identityKey, true);
    expect((await numberOf(numbers, bob.device.userId)).verified).toBe(true);
    expect(numbers.changesIn(withBob)).toEqual([]);

    // Bob's identity changes (a new install, say): his device publishes the new key in place of the old.
    const newIdentity = signal.IdentityKeyPair.generate();
    const newKey = Buffer.from(newIdentity.publicKey.serialize()).toString('base64');
    await bob.socket.call({ ...firstPublish(newKey), replaceIdentity: true }, 'key_counts');

    const after = await numberOf(numbers, bob.device.userId);
    expect(after.identityKey).toBe(newKey);
    expect(after.digits).not.toBe(before.digits);
    expect(after.verified).toBe(false);
    expect(noticed).toEqual([withBob]);
    const notices = alice.device.mirror.views.messagePage(withBob, alice.device.userId, 50).notices;
    expect(notices.filter((notice) => notice.kind === 'safety_number_changed').map((notice) => notice.actor.id)).toEqual([
      bob.device.userId,
    ]);
    expect(alice.device.mirror.views.messagePage(withoutBob, alice.device.userId, 50).notices.map((n) => n.kind)).not.toContain(
      'safety_number_changed',
    );
    expect(numbers.changesIn(withBob).map((user) => user.id)).toEqual([bob.device.userId]);
    expect(numbers.changesIn(withoutBob)).toEqual([]);
    expect(() => numbers.changesIn('no-such-conversation')).toThrow(expect.objectContaining({ code: 'not_found' }));
    // Marking the old key verified is refused: it is no longer his.
    expect(() => numbers.setVerified(bob.device.userId, before.identityKey, true)).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    // "Send anyway": not asked again; looking again notices nothing new.
    numbers.confirmChangesIn(withBob);
    expect(numbers.changesIn(withBob)).toEqual([]);
    await numberOf(numbers, bob.device.userId);
    expect(noticed).toEqual([withBob]);
    // Bob's side, with his new identity, reads the same new number.
    const bobAgain = numbersOn({ ...bob, device: { ...bob.device, identity: newIdentity } });
    expect((await numberOf(bobAgain, alice.device.userId)).digits).toBe(after.digits);
  });
});
