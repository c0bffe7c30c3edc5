/**
 * Asking again for envelopes that do not open (crypto/resend-asker.ts, crypto/resend-answerer.ts),
 * between real engines on a real server with real libsignal: a device linked to a person who
 * already held a sender key was never handed it; its envelopes from that sender ask, and open
 * with what is sent again, and the key comes with it. With no answer in time an envelope shows
 * as undecryptable, the conversation goes on, and a late answer replaces the notice. Someone not
 * a member, or not one when the envelope was sealed, is answered nothing, and content sent again
 * by a device that did not seal the envelope is ignored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Content } from '../../../sync/content/content.js';
import { eventually } from '../../support/client-harness.js';
import {
  engineDevices,
  postStored,
  sendEnvelope,
  signal,
  signIn,
  waitingIn,
  type EngineDevice,
} from '../../support/crypto-devices.js';
import { createGroup, createServerHarness, groupChange, type TestClient, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const { device, cleanup } = engineDevices(servers);
afterEach(async () => {
  await cleanup();
  await servers.cleanup();
});

const resendTimings = { graceMs: 300, timeoutMs: 1_500 };
const say = (text: string): Content => ({ kind: 'message', text });

interface Person {
  userId: string;
  desk: EngineDevice;
  /** A raw socket of the desk's own session: what it sends, the server attests as the desk's. */
  socket: TestClient;
  /** Links another device to the person: same identity, a new session. */
  link(): Promise<EngineDevice>;
}

async function person(server: TestServer, name: string): Promise<Person> {
  const account = await servers.createAccount(server, { username: name });
  const identity = signal.IdentityKeyPair.generate();
  const desk = await device(server, account.user.id, account.token, identity, { resendTimings });
  return {
    userId: account.user.id,
    desk,
    socket: await servers.connect(server, account.token),
    link: async () => device(server, account.user.id, await signIn(server, account), identity, { resendTimings }),
  };
}

async function group(owner: Person, others: readonly Person[], devices: readonly EngineDevice[]): Promise<string> {
  const created = await createGroup(owner.socket, { memberIds: others.map((other) => other.userId) });
  for (const each of devices) {
    await eventually(
      () => each.mirror.members(created.id).length,
      (count) => count === others.length + 1,
      'the group on every device',
    );
  }
  return created.id;
}

/** Seals on the person's desk and sends it as the envelope `clientId`, keeping what it said to send again (as the outbox does). */
async function post(from: Person, conversationId: string, clientId: string, content: Content): Promise<void> {
  const stored = await postStored({ device: from.desk, socket: from.socket }, conversationId, clientId, content);
  from.desk.mirror.sentContent.keep(stored, content);
}

const textOf = (reader: EngineDevice, conversationId: string, messageId: string) =>
  reader.mirror.views.messageView(conversationId, messageId, reader.userId)?.text ?? null;

const noticesIn = (reader: EngineDevice, conversationId: string) =>
  reader.mirror.views.messagePage(conversationId, reader.userId, 50).notices;

describe('asking again for envelopes that did not open', () => {
  it('opens what a newly linked device of a key holder could not, and hands that device the key', async () => {
    const server = await servers.startServer();
    const alice = await person(server, 'alice');
    const bob = await person(server, 'bob');
    const groupId = await group(alice, [bob], [alice.desk, bob.desk]);
    await post(alice, groupId, 'm1', say('before the phone'));
    await eventually(
      () => textOf(bob.desk, groupId, 'm1'),
      (text) => text === 'before the phone',
      'm1 on Bob’s desk',
    );

    // The phone cannot open what Alice sealed before it was linked; her next seal hands it her key
    // (the server names the phone among the conversation's devices), and it asks for the one before.
    const phone = await bob.link();
    await eventually(
      () => phone.mirror.members(groupId).length,
      (count) => count === 2,
      'the group on the phone',
    );
    await post(alice, groupId, 'm2', say('after the phone'));
    await eventually(
      () => textOf(phone, groupId, 'm2'),
      (text) => text === 'after the phone',
      'm2 on the phone',
    );
    await eventually(
      () => textOf(phone, groupId, 'm1'),
      (text) => text === 'before the phone',
      'm1 on the phone, sent again',
      30_000,
    );
    expect(waitingIn(phone, groupId)).toEqual([]);
    expect(noticesIn(phone, groupId).filter((notice) => notice.kind === 'undecryptable')).toEqual([]);

    // The key came with it: what Alice seals next opens on the phone as it comes.
    await post(alice, groupId, 'm3', say('the key came'));
    await eventually(
      () => textOf(phone, groupId, 'm3'),
      (text) => text === 'the key came',
      'm3 opened on the phone',
    );
    expect(phone.warnings.filter((warning) => warning.message.includes('ignored'))).toEqual([]);
    // The phone's request was answered once: for m1 only (m2 opened with the key handed to it).
    const phoneAddress = { userId: bob.userId, deviceNumber: phone.deviceNumber() };
    expect(alice.desk.mirror.sentContent.noteResend(groupId, 'm1', phoneAddress, 0)).toBe(false);
    expect(alice.desk.mirror.sentContent.noteResend(groupId, 'm2', phoneAddress, 0)).toBe(true);
  });

  it('shows an envelope with no answer in time as undecryptable, goes on, and puts what it said in its place when it comes', async () => {
    const server = await servers.startServer();
    const alice = await person(server, 'alice');
    const bob = await person(server, 'bob');
    const carol = await person(server, 'carol');
    const groupId = await group(alice, [bob, carol], [alice.desk, bob.desk, carol.desk]);
    await post(alice, groupId, 'm1', say('hello'));
    await eventually(
      () => textOf(bob.desk, groupId, 'm1'),
      (text) => text === 'hello',
      'm1 on Bob’s desk',
    );
    // Alice's device seals and goes away before Bob links his phone: nobody answers the phone's requests for now.
    const sealed = await alice.desk.engine.seal(groupId, say('while away'), () => undefined);
    alice.desk.engine.setWorkOffline(true);
    const phone = await bob.link();
    await eventually(
      () => phone.mirror.members(groupId).length,
      (count) => count === 3,
      'the group on the phone',
    );
    const stored = await sendEnvelope({ device: alice.desk, socket: alice.socket }, groupId, 'm2', sealed.ciphertext);
    alice.desk.mirror.sentContent.keep(stored, say('while away'));
    const shown = await eventually(
      () => noticesIn(phone, groupId).filter((notice) => notice.kind === 'undecryptable'),
      (notices) => notices.length === 2,
      'm1 and m2 shown as undecryptable on the phone',
    );
    expect(shown.map((notice) => notice.actor.id)).toEqual([alice.userId, alice.userId]);
    expect(shown.every((notice) => notice.at > 0)).toBe(true);

    // Carol, a member but not who sealed it, cannot put words in its place.
    carol.desk.engine.sendToDevices([bob.userId], {
      kind: 'resent_content',
      forDevice: phone.deviceNumber(),
      conversationId: groupId,
      clientId: 'm2',
      content: say('forged'),
    });
    await eventually(
      () => phone.warnings.filter((warning) => warning.message.includes('did not seal the envelope')),
      (warnings) => warnings.length === 1,
      'the forged content ignored',
    );
    expect(textOf(phone, groupId, 'm2')).toBeNull();

    // The conversation goes on: what Bob's desk writes next shows on the phone.
    await post(bob, groupId, 'm3', say('still here'));
    await eventually(
      () => textOf(phone, groupId, 'm3'),
      (text) => text === 'still here',
      'a later message on the phone',
    );

    // Alice is back: she answers, and what the envelopes said takes the notices' place.
    alice.desk.engine.setWorkOffline(false);
    await eventually(
      () => textOf(phone, groupId, 'm2'),
      (text) => text === 'while away',
      'm2 in place of its notice',
    );
    await eventually(
      () => textOf(phone, groupId, 'm1'),
      (text) => text === 'hello',
      'm1 in place of its notice',
    );
    expect(noticesIn(phone, groupId).filter((notice) => notice.kind === 'undecryptable')).toEqual([]);
    expect(waitingIn(phone, groupId)).toEqual([]);
  });

  it('answers a member nothing of what was sealed before they joined, and one who was there what it said', async () => {
    const server = await servers.startServer();
    const alice = await person(server, 'alice');
    const bob = await person(server, 'bob');
    const carol = await person(server, 'carol');
    const groupId = await group(alice, [bob], [alice.desk, bob.desk]);
    await post(bob, groupId, 'm1', say('before Carol'));
    await eventually(
      () => textOf(alice.desk, groupId, 'm1'),
      (text) => text === 'before Carol',
      'm1 on Alice’s desk',
    );
    await groupChange(alice.socket, groupId, 'add-carol', { kind: 'add_members', userIds: [carol.userId] });
    for (const each of [bob.desk, carol.desk]) {
      await eventually(
        () => each.mirror.members(groupId).length,
        (count) => count === 3,
        'Carol in the group',
      );
    }
    // A reply tells Carol the id of what came before her.
    await post(bob, groupId, 'm2', { kind: 'message', text: 'about that', replyTo: 'm1' });
    const reply = await eventually(
      () => carol.desk.mirror.views.messageView(groupId, 'm2', carol.userId),
      (view) => view?.text === 'about that',
      'the reply on Carol’s desk',
    );
    expect(reply?.replyTo).toMatchObject({ messageId: 'm1', available: false });

    const request = {
      kind: 'resend_request' as const,
      forDevice: bob.desk.deviceNumber(),
      conversationId: groupId,
      clientId: 'm1',
    };
    carol.desk.engine.sendToDevices([bob.userId], request);
    await eventually(
      () => bob.desk.warnings.filter((warning) => warning.message.includes('while the asker was not a member')),
      (warnings) => warnings.length === 1,
      'Carol’s request ignored',
    );
    expect(bob.desk.warnings.at(-1)!.fields).toEqual({
      conversationId: groupId,
      clientId: 'm1',
      from: `${carol.userId}.${carol.desk.deviceNumber()}`,
    });
    // Alice was there when it was sealed: a phone she links now cannot open it, asks, and is sent it.
    const phone = await alice.link();
    await eventually(
      () => textOf(phone, groupId, 'm1'),
      (text) => text === 'before Carol',
      'm1 on Alice’s phone, sent again',
      30_000,
    );
    // Nothing of it went to Carol.
    const carolDesk = { userId: carol.userId, deviceNumber: carol.desk.deviceNumber() };
    expect(bob.desk.mirror.sentContent.noteResend(groupId, 'm1', carolDesk, 0)).toBe(true);
    expect(textOf(carol.desk, groupId, 'm1')).toBeNull();
  });

  it('answers someone not a member with nothing', async () => {
    const server = await servers.startServer();
    const alice = await person(server, 'alice');
    const bob = await person(server, 'bob');
    const carol = await person(server, 'carol');
    const groupId = await group(alice, [bob], [alice.desk, bob.desk]);
    // Carol shares another conversation with Alice, so the server lets her write to Alice's devices.
    const elsewhere = await group(alice, [carol], [alice.desk, carol.desk]);
    await post(alice, groupId, 'm1', say('members only'));
    await eventually(
      () => textOf(bob.desk, groupId, 'm1'),
      (text) => text === 'members only',
      'm1 on Bob’s desk',
    );

    const request = { kind: 'resend_request' as const, forDevice: alice.desk.deviceNumber(), clientId: 'm1' };
    // Asked in a conversation she is in, for an envelope of another, she is told it cannot be: nothing of it leaks.
    carol.desk.engine.sendToDevices([alice.userId], { ...request, conversationId: elsewhere });
    carol.desk.engine.sendToDevices([alice.userId], { ...request, conversationId: groupId });
    await eventually(
      () => alice.desk.warnings.filter((warning) => warning.message.includes('not a member')),
      (warnings) => warnings.length === 1,
      'the request ignored',
    );
    expect(alice.desk.warnings.at(-1)!.fields).toEqual({
      conversationId: groupId,
      clientId: 'm1',
      from: `${carol.userId}.${carol.desk.deviceNumber()}`,
    });
    // A request sent only now is read in a later batch of Alice's inbox, after the batch above
    // was stored: its answers can be read below.
    carol.desk.engine.sendToDevices([alice.userId], { ...request, conversationId: groupId, clientId: 'm9' });
    await eventually(
      () => alice.desk.warnings.filter((warning) => warning.message.includes('not a member')),
      (warnings) => warnings.length === 2,
      'the later request ignored',
    );
    // Nothing was sent to Carol: no resend noted, no key of Alice's for the group.
    const carolDevice = { userId: carol.userId, deviceNumber: carol.desk.deviceNumber() };
    expect(alice.desk.mirror.sentContent.noteResend(groupId, 'm1', carolDevice, 0)).toBe(true);
    expect(alice.desk.mirror.signal.senderKeyHolders(alice.desk.mirror.signal.senderKeyOf(groupId)!)).not.toContain(carol.userId);
    // The request naming the other conversation was answered (with "cannot": nothing is kept there under m1).
    expect(alice.desk.mirror.sentContent.noteResend(elsewhere, 'm1', carolDevice, 0)).toBe(false);
    expect(alice.desk.mirror.sentContent.content(elsewhere, 'm1', () => undefined)).toBeNull();
  });
});
