/**
 * The device inbox's store contract (device-inbox.ts), one suite over every backend: a send to a
 * person's devices and the sender's other ones, exactly once by client id (under concurrent sends
 * too), all or nothing on each refusal (not_a_contact, devices_changed) with the client id left
 * unused, a device with no room left out while the rest are stored, reading in pages, acknowledging only one's own envelopes, a session's end taking
 * its inbox with it, and expiry; and linking hand-overs, only to one's own device without keys.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import {
  INBOX_LIMITS,
  type DeviceEnvelope,
  type EnvelopeKind,
  type OutgoingEnvelope,
} from '../../../sync/protocol/inbox-frames.js';
import { KEY_LIMITS } from '../../../sync/protocol/key-frames.js';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import type { InboxSend, LinkSend } from '../../../sync/server/store/device-inbox.js';
import { ecKey, firstPublish } from '../../support/key-material.js';
import { describeStoreContract, LONG_AGO, NOW } from '../../support/store-contract.js';

/** One device as a test holds it: its session, its number and the registration id it published (0: none). */
interface Device {
  userId: string;
  sessionId: string;
  deviceNumber: number;
  registrationId: number;
}

describeStoreContract('the device inbox store', (suite) => {
  const identityKeys = new Map<string, string>();
  async function person(name: string): Promise<string> {
    const id = await suite.person(name);
    identityKeys.set(id, ecKey());
    return id;
  }

  let registrations = 0;
  /** A new session of `userId` (last used at `lastUsedAt`), with its keys published unless told otherwise. */
  async function device(userId: string, options: { lastUsedAt?: number; keys?: boolean } = {}): Promise<Device> {
    const sessionId = await suite.session(userId, options.lastUsedAt);
    const deviceNumber = (await suite.store.listSessions(userId, LONG_AGO)).find(
      (session) => session.id === sessionId,
    )!.deviceNumber;
    if (options.keys === false) return { userId, sessionId, deviceNumber, registrationId: 0 };
    // Distinct per device, so a device number taken over comes with a registration id of its own.
    const registrationId = 1000 + ++registrations;
    const keys = firstPublish(identityKeys.get(userId)!, { registrationId, ecCount: 1, kyberCount: 1 });
    const published = await suite.store.keyDirectory.publishKeys({
      userId,
      sessionId,
      identityKey: keys.identityKey,
      replaceIdentity: false,
      registrationId,
      signedPrekey: keys.signedPrekey,
      kyberLastResortPrekey: keys.kyberLastResortPrekey,
      ecPrekeys: keys.ecPrekeys ?? [],
      kyberPrekeys: keys.kyberPrekeys ?? [],
      maxStored: KEY_LIMITS.maxPrekeysStored,
      now: NOW,
    });
    expect(published.status).toBe('stored');
    return { userId, sessionId, deviceNumber, registrationId };
  }

  async function devices(userId: string, count: number): Promise<Device[]> {
    const made: Device[] = [];
    for (let n = 0; n < count; n++) made.push(await device(userId));
    return made;
  }

  async function direct(creatorId: string, userId: string): Promise<void> {
    const created = await suite.store.createConversation({
      conversationId: directConversationId(creatorId, userId),
      creatorId,
      conversation: { kind: 'direct', userId },
      createdAt: NOW,
      maxMembers: 100,
      caps: UNCAPPED,
    });
    expect(created.status).toBe('created');
  }

  let groups = 0;
  async function group(creatorId: string, memberIds: string[]): Promise<string> {
    const conversationId = `group-${++groups}`;
    const created = await suite.store.createConversation({
      conversationId,
      creatorId,
      conversation: { kind: 'group', memberIds: [creatorId, ...memberIds] },
      createdAt: NOW,
      maxMembers: 100,
      caps: UNCAPPED,
    });
    expect(created.status).toBe('created');
    return conversationId;
  }

  /** An envelope for `to` as a sender whose session with it is current would address it. */
  function envelopeFor(to: Device, kind: EnvelopeKind = 'whisper'): OutgoingEnvelope {
    return {
      userId: to.userId,
      deviceNumber: to.deviceNumber,
      registrationId: to.registrationId,
      kind,
      ciphertext: randomBytes(kind === 'prekey' ? 1700 : 120).toString('base64'),
    };
  }

  function send(from: Device, clientId: string, envelopes: OutgoingEnvelope[], more: Partial<InboxSend> = {}) {
    return suite.store.deviceInbox.send({
      senderUserId: from.userId,
      senderSessionId: from.sessionId,
      senderDevice: from.deviceNumber,
      clientId,
      envelopes,
      now: NOW,
      expiredBefore: LONG_AGO,
      maxWaitingFromOneSender: INBOX_LIMITS.maxWaitingFromOneSender,
      maxWaitingPerDevice: INBOX_LIMITS.maxWaitingPerDevice,
      ...more,
    });
  }

  /** A stored envelope as its device reads it: without whose device it is for, which the server keeps to push it. */
  function asDelivered({ recipientUserId, ...envelope }: DeviceEnvelope & { recipientUserId: string }): DeviceEnvelope {
    expect(recipientUserId).toMatch(/./);
    return envelope;
  }

  /** Everything waiting for `to`, a page at a time. */
  async function inboxOf(to: Device): Promise<DeviceEnvelope[]> {
    const all: DeviceEnvelope[] = [];
    for (let hasMore = true; hasMore;) {
      const page = await suite.store.deviceInbox.read({
        sessionId: to.sessionId,
        afterId: all.at(-1)?.id,
        limit: INBOX_LIMITS.maxPage,
      });
      all.push(...page.envelopes);
      hasMore = page.hasMore;
    }
    return all;
  }

  async function countRows(table: 'device_inbox' | 'inbox_sends'): Promise<number> {
    const [row] = await suite.database.query<{ count: number | string }>(`SELECT count(*) AS count FROM ${table}`);
    return Number(row!.count);
  }

  it('stores one envelope per device: all three of a person’s and the sender’s other device, never the sending one', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ben, ann);
    const annDevices = await devices(ann, 3);
    const [benPhone, benLaptop] = await devices(ben, 2);
    const envelopes = [...annDevices.map((to) => envelopeFor(to, 'prekey')), envelopeFor(benLaptop!)];

    const result = await send(benPhone!, 'c1', envelopes);

    expect(result.status).toBe('stored');
    const stored = result.status === 'stored' ? result.envelopes.map(asDelivered) : [];
    expect(stored).toEqual(
      envelopes.map((envelope) => ({
        id: expect.stringMatching(/^[1-9][0-9]*$/) as string,
        senderUserId: ben,
        senderDevice: benPhone!.deviceNumber,
        deviceNumber: envelope.deviceNumber,
        kind: envelope.kind,
        ciphertext: envelope.ciphertext,
        sentAt: NOW,
      })),
    );
    expect(new Set(stored.map((envelope) => envelope.id)).size).toBe(4);
    for (const [index, to] of [...annDevices, benLaptop!].entries()) expect(await inboxOf(to)).toEqual([stored[index]]);
    expect(await inboxOf(benPhone!)).toEqual([]);
    // Ids grow as envelopes are stored.
    const again = await send(
      benPhone!,
      'c2',
      envelopes.map((envelope) => ({ ...envelope, kind: 'whisper' as const })),
    );
    const later = again.status === 'stored' ? again.envelopes.map((envelope) => Number(envelope.id)) : [];
    expect(Math.min(...later)).toBeGreaterThan(Math.max(...stored.map((envelope) => Number(envelope.id))));
  });

  it('stores a send once by its sending session and client id: the same id again stores nothing, whatever it carries', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ann, ben);
    const [annPhone] = await devices(ann, 1);
    const [benPhone, benLaptop] = await devices(ben, 2);

    expect((await send(benPhone!, 'same', [envelopeFor(annPhone!), envelopeFor(benLaptop!)])).status).toBe('stored');
    expect(await send(benPhone!, 'same', [envelopeFor(annPhone!), envelopeFor(benLaptop!)])).toEqual({ status: 'duplicate' });
    // Different envelopes, even ones that would be refused, under the used id: still the duplicate it is.
    expect(await send(benPhone!, 'same', [envelopeFor(annPhone!)])).toEqual({ status: 'duplicate' });
    expect(await inboxOf(annPhone!)).toHaveLength(1);
    expect(await inboxOf(benLaptop!)).toHaveLength(1);
    // Client ids are the sending device's own: Ben's laptop may use the same one.
    expect((await send(benLaptop!, 'same', [envelopeFor(annPhone!), envelopeFor(benPhone!)])).status).toBe('stored');
    expect(await inboxOf(annPhone!)).toHaveLength(2);
  });

  it('stores exactly one of two sends with the same client id made at the same moment', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ann, ben);
    const annDevices = await devices(ann, 3);
    const [benPhone] = await devices(ben, 1);

    const outcomes = await Promise.all([
      send(
        benPhone!,
        'racing',
        annDevices.map((to) => envelopeFor(to)),
      ),
      send(
        benPhone!,
        'racing',
        annDevices.map((to) => envelopeFor(to)),
      ),
    ]);

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['duplicate', 'stored']);
    for (const to of annDevices) expect(await inboxOf(to)).toHaveLength(1);
    expect(await countRows('inbox_sends')).toBe(1);
  });

  it('refuses a send naming a stranger whole, storing nothing and leaving its client id unused', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    const cy = await person('cy');
    await direct(ben, ann);
    const annDevices = await devices(ann, 2);
    const [benPhone] = await devices(ben, 1);
    const [cyPhone] = await devices(cy, 1);
    const toAnn = annDevices.map((to) => envelopeFor(to));

    expect(await send(benPhone!, 'c1', [...toAnn, envelopeFor(cyPhone!)])).toEqual({ status: 'not_a_contact' });
    for (const to of annDevices) expect(await inboxOf(to)).toEqual([]);
    expect(await countRows('inbox_sends')).toBe(0);
    expect((await send(benPhone!, 'c1', toAnn)).status).toBe('stored');
  });

  it('counts a message request not yet answered as a conversation shared, and one left as none', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    const cy = await person('cy');
    const [annPhone] = await devices(ann, 1);
    const [benPhone] = await devices(ben, 1);
    const [cyPhone] = await devices(cy, 1);
    // Ann wrote to Ben first: a request Ben never answered. Either may write to the other's devices.
    await direct(ann, ben);
    expect((await send(benPhone!, 'b1', [envelopeFor(annPhone!)])).status).toBe('stored');
    expect((await send(annPhone!, 'a1', [envelopeFor(benPhone!)])).status).toBe('stored');

    const trip = await group(ann, [ben, cy]);
    expect((await send(cyPhone!, 'c1', [envelopeFor(benPhone!)])).status).toBe('stored');
    const left = await suite.store.appendGroupChange({
      conversationId: trip,
      senderId: cy,
      clientChangeId: 'leave',
      change: { kind: 'leave' },
      sentAt: NOW,
      maxMembers: 100,
      caps: UNCAPPED,
    });
    expect(left.status).toBe('stored');
    expect(await send(cyPhone!, 'c2', [envelopeFor(benPhone!)])).toEqual({ status: 'not_a_contact' });
    expect(await send(benPhone!, 'b2', [envelopeFor(cyPhone!)])).toEqual({ status: 'not_a_contact' });
    expect(await inboxOf(cyPhone!)).toEqual([]);
    // Nobody needs a conversation with themselves: writing to one's own other devices.
    const [cyLaptop] = await devices(cy, 1);
    expect((await send(cyPhone!, 'c3', [envelopeFor(cyLaptop!)])).status).toBe('stored');
  });

  it('refuses a send whose devices are not the current ones, saying what is missing, extra and stale, and stores the corrected one', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ben, ann);
    const [ann1, ann2, ann3] = await devices(ann, 3);
    const [benPhone, benLaptop] = await devices(ben, 2);
    // What Ben's phone knew of Ann's devices: 1, 2 and 3. Since, Ann signed device 2 out and a new
    // device took its number (a registration id of its own), added a fourth with keys and a fifth
    // that never published any.
    expect(await suite.store.endSessions({ userId: ann, ids: [ann2!.sessionId] })).toEqual([ann2!.sessionId]);
    const annNew2 = await device(ann);
    expect(annNew2.deviceNumber).toBe(2);
    expect(annNew2.registrationId).not.toBe(ann2!.registrationId);
    const ann4 = await device(ann);
    const ann5 = await device(ann, { keys: false });
    expect([ann4.deviceNumber, ann5.deviceNumber]).toEqual([4, 5]);
    const known = [ann1!, ann2!, ann3!].map((to) => envelopeFor(to));

    const refused = await send(benPhone!, 'c1', [
      ...known,
      envelopeFor({ ...ann5, registrationId: 77 }),
      // Ben addresses his own sending device, and not his laptop.
      envelopeFor(benPhone!),
    ]);

    expect(refused).toEqual({
      status: 'devices_changed',
      // In the order the send names the people.
      mismatches: [
        { userId: ann, missing: [4], extra: [5], stale: [2] },
        { userId: ben, missing: [benLaptop!.deviceNumber], extra: [benPhone!.deviceNumber], stale: [] },
      ],
    });
    for (const to of [ann1!, annNew2, ann3!, ann4, ann5, benLaptop!]) expect(await inboxOf(to)).toEqual([]);

    const corrected = [ann1!, annNew2, ann3!, ann4, benLaptop!].map((to) => envelopeFor(to));
    expect((await send(benPhone!, 'c1', corrected)).status).toBe('stored');
    expect(await inboxOf(annNew2)).toHaveLength(1);
  });

  it('counts the device of an expired session as gone', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ben, ann);
    const annPhone = await device(ann);
    const annOldLaptop = await device(ann, { lastUsedAt: NOW - 100 });
    const [benPhone] = await devices(ben, 1);
    const expiredBefore = NOW - 50;

    expect(await send(benPhone!, 'c1', [envelopeFor(annPhone), envelopeFor(annOldLaptop)], { expiredBefore })).toEqual({
      status: 'devices_changed',
      mismatches: [{ userId: ann, missing: [], extra: [annOldLaptop.deviceNumber], stale: [] }],
    });
    expect((await send(benPhone!, 'c1', [envelopeFor(annPhone)], { expiredBefore })).status).toBe('stored');
    // The same send while the laptop's session was still current would have left it missing.
    expect(await send(benPhone!, 'c2', [envelopeFor(annPhone)])).toEqual({
      status: 'devices_changed',
      mismatches: [{ userId: ann, missing: [annOldLaptop.deviceNumber], extra: [], stale: [] }],
    });
  });

  it('leaves out an envelope for a device with no room, by sender and in all, and stores the rest, naming that device', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    const cy = await person('cy');
    const dee = await person('dee');
    await group(ann, [ben, cy, dee]);
    const [annPhone] = await devices(ann, 1);
    const [benPhone] = await devices(ben, 1);
    const [cyPhone] = await devices(cy, 1);
    const [deePhone] = await devices(dee, 1);
    const caps = { maxWaitingFromOneSender: 2, maxWaitingPerDevice: 3 };

    expect((await send(benPhone!, 'b1', [envelopeFor(annPhone!)], caps)).status).toBe('stored');
    expect((await send(benPhone!, 'b2', [envelopeFor(annPhone!)], caps)).status).toBe('stored');
    // Ben has two waiting on Ann's phone: his third is left out there, and reaches Cy.
    const annFull = [{ userId: ann, deviceNumber: annPhone!.deviceNumber }];
    expect(await send(benPhone!, 'b3', [envelopeFor(annPhone!), envelopeFor(cyPhone!)], caps)).toMatchObject({
      status: 'stored',
      envelopes: [{ recipientUserId: cy, deviceNumber: cyPhone!.deviceNumber }],
      full: annFull,
    });
    expect(await inboxOf(cyPhone!)).toHaveLength(1);
    expect(await inboxOf(annPhone!)).toHaveLength(2);
    expect(await send(cyPhone!, 'c1', [envelopeFor(annPhone!)], caps)).toMatchObject({ status: 'stored', full: [] });
    // Three wait on Ann's phone in all: nobody's fourth goes in; Dee's reaches Ben.
    expect(await send(deePhone!, 'd1', [envelopeFor(annPhone!), envelopeFor(benPhone!)], caps)).toMatchObject({
      status: 'stored',
      envelopes: [{ recipientUserId: ben }],
      full: annFull,
    });
    expect(await inboxOf(benPhone!)).toHaveLength(1);
    expect(await inboxOf(annPhone!)).toHaveLength(3);

    // Ann deals with one of Ben's: room for one more of his.
    const [first] = await inboxOf(annPhone!);
    expect(await suite.store.deviceInbox.acknowledge({ sessionId: annPhone!.sessionId, ids: [first!.id] })).toBe(1);
    expect(await send(benPhone!, 'b4', [envelopeFor(annPhone!)], caps)).toMatchObject({ status: 'stored', full: [] });
    expect(await inboxOf(annPhone!)).toHaveLength(3);
  });

  it('reads a device’s inbox in pages, oldest first, ids compared as numbers, with hasMore until the last', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ben, ann);
    const [annPhone] = await devices(ann, 1);
    const [benPhone] = await devices(ben, 1);
    for (let n = 1; n <= 12; n++) expect((await send(benPhone!, `c${n}`, [envelopeFor(annPhone!)])).status).toBe('stored');

    const pages: Array<{ ids: string[]; hasMore: boolean }> = [];
    let afterId: string | undefined;
    for (let hasMore = true; hasMore;) {
      const page = await suite.store.deviceInbox.read({ sessionId: annPhone!.sessionId, afterId, limit: 5 });
      pages.push({ ids: page.envelopes.map((envelope) => envelope.id), hasMore: page.hasMore });
      afterId = page.envelopes.at(-1)?.id;
      hasMore = page.hasMore;
    }

    expect(pages.map((page) => [page.ids.length, page.hasMore])).toEqual([
      [5, true],
      [5, true],
      [2, false],
    ]);
    const ids = pages.flatMap((page) => page.ids).map(Number);
    // Twelve ids from a fresh database run past 9: "10" after "9" only as numbers.
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(12);
    expect(ids.at(-1)).toBeGreaterThanOrEqual(10);
    expect(await suite.store.deviceInbox.read({ sessionId: annPhone!.sessionId, afterId, limit: 5 })).toEqual({
      envelopes: [],
      hasMore: false,
    });
    // Exactly a page left: no more after it.
    expect(
      (await suite.store.deviceInbox.read({ sessionId: annPhone!.sessionId, afterId: String(ids[6]), limit: 5 })).hasMore,
    ).toBe(false);
  });

  it('acknowledges only the device’s own envelopes: another device’s ids and unknown ones are ignored', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ben, ann);
    const [annPhone, annLaptop] = await devices(ann, 2);
    const [benPhone] = await devices(ben, 1);
    const sent = await send(benPhone!, 'c1', [envelopeFor(annPhone!), envelopeFor(annLaptop!)]);
    const [toPhone, toLaptop] = sent.status === 'stored' ? sent.envelopes.map(asDelivered) : [];

    expect(await suite.store.deviceInbox.acknowledge({ sessionId: annPhone!.sessionId, ids: [toLaptop!.id, '999999'] })).toBe(0);
    expect(await inboxOf(annLaptop!)).toEqual([toLaptop]);
    expect(await suite.store.deviceInbox.acknowledge({ sessionId: annPhone!.sessionId, ids: [toPhone!.id, toLaptop!.id] })).toBe(
      1,
    );
    expect(await inboxOf(annPhone!)).toEqual([]);
    expect(await inboxOf(annLaptop!)).toEqual([toLaptop]);
    // Again: already gone.
    expect(await suite.store.deviceInbox.acknowledge({ sessionId: annPhone!.sessionId, ids: [toPhone!.id] })).toBe(0);
  });

  it('deletes a device’s inbox, and the client ids it sent with, when its session ends', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ben, ann);
    const [annPhone, annLaptop] = await devices(ann, 2);
    const [benPhone] = await devices(ben, 1);
    expect((await send(benPhone!, 'b1', [envelopeFor(annPhone!), envelopeFor(annLaptop!)])).status).toBe('stored');
    expect((await send(annLaptop!, 'a1', [envelopeFor(benPhone!), envelopeFor(annPhone!)])).status).toBe('stored');

    expect(await suite.store.endSessions({ userId: ann, ids: [annLaptop!.sessionId] })).toEqual([annLaptop!.sessionId]);

    const rows = await suite.database.query<{ session_id: string }>(`SELECT session_id FROM device_inbox ORDER BY id`);
    expect(rows.map((row) => row.session_id)).toEqual([annPhone!.sessionId, benPhone!.sessionId, annPhone!.sessionId]);
    const sends = await suite.database.query<{ sender_session_id: string }>(`SELECT sender_session_id FROM inbox_sends`);
    expect(sends.map((row) => row.sender_session_id)).toEqual([benPhone!.sessionId]);
  });

  it('expires envelopes sent before a time and forgets the client ids used before it', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    await direct(ben, ann);
    const [annPhone] = await devices(ann, 1);
    const [benPhone] = await devices(ben, 1);
    expect((await send(benPhone!, 'old', [envelopeFor(annPhone!)], { now: NOW - 100 })).status).toBe('stored');
    expect((await send(benPhone!, 'new', [envelopeFor(annPhone!)], { now: NOW })).status).toBe('stored');

    expect(await suite.store.deviceInbox.expire(NOW - 50)).toBe(1);

    expect((await inboxOf(annPhone!)).map((envelope) => envelope.sentAt)).toEqual([NOW]);
    expect(await send(benPhone!, 'new', [envelopeFor(annPhone!)])).toEqual({ status: 'duplicate' });
    // The old client id is forgotten: the same id is a new send now.
    expect((await send(benPhone!, 'old', [envelopeFor(annPhone!)])).status).toBe('stored');
    expect(await suite.store.deviceInbox.expire(NOW - 50)).toBe(0);
  });

  function sendLink(from: Device, clientId: string, deviceNumber: number, more: Partial<LinkSend> = {}) {
    return suite.store.deviceInbox.sendLink({
      senderUserId: from.userId,
      senderSessionId: from.sessionId,
      senderDevice: from.deviceNumber,
      clientId,
      deviceNumber,
      handOver: randomBytes(600).toString('base64'),
      now: NOW,
      expiredBefore: LONG_AGO,
      ...more,
    });
  }

  it('describes an account’s own device by number: its name and whether it has keys; none for another account’s or an expired one', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    const annPhone = await device(ann);
    const annLaptop = await device(ann, { keys: false });
    const benPhone = await device(ben, { keys: false });
    const describe = (userId: string, deviceNumber: number, expiredBefore = LONG_AGO) =>
      suite.store.deviceInbox.ownDevice({ userId, deviceNumber, expiredBefore });

    expect(await describe(ann, annPhone.deviceNumber)).toEqual({ sessionId: annPhone.sessionId, deviceName: null, linked: true });
    expect(await describe(ann, annLaptop.deviceNumber)).toEqual({
      sessionId: annLaptop.sessionId,
      deviceName: null,
      linked: false,
    });
    // Last used before the expiry: signed out as far as linking goes.
    expect(await describe(ann, annLaptop.deviceNumber, NOW + 1)).toBeNull();
    expect(await describe(ann, 99)).toBeNull();
    // Ben's device has a number Ann's devices may share; it is not hers to describe.
    expect(await describe(ben, benPhone.deviceNumber)).toEqual(expect.objectContaining({ linked: false }));
    expect(await describe(ann, benPhone.deviceNumber)).not.toEqual(expect.objectContaining({ sessionId: benPhone.sessionId }));
  });

  it('stores a link hand-over once, as an envelope of kind link in the new device’s inbox', async () => {
    const ann = await person('ann');
    const annPhone = await device(ann);
    const annLaptop = await device(ann, { keys: false });

    const sent = await sendLink(annPhone, 'link-1', annLaptop.deviceNumber);
    expect(sent.status).toBe('stored');
    const inbox = await inboxOf(annLaptop);
    expect(inbox).toEqual([sent.status === 'stored' ? sent.envelope : null]);
    expect(inbox[0]).toEqual(
      expect.objectContaining({
        kind: 'link',
        senderUserId: ann,
        senderDevice: annPhone.deviceNumber,
        deviceNumber: annLaptop.deviceNumber,
      }),
    );
    expect(await sendLink(annPhone, 'link-1', annLaptop.deviceNumber)).toEqual({ status: 'duplicate' });
    expect(await inboxOf(annLaptop)).toHaveLength(1);
  });

  it('refuses a hand-over for a device with keys, for itself, for none signed in, and for another account’s device, storing nothing', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    const annPhone = await device(ann);
    const annTablet = await device(ann);
    // Ben's third device: a number Ann has no device of.
    await devices(ben, 2);
    const benLaptop = await device(ben, { keys: false });

    expect(await sendLink(annPhone, 'a', annTablet.deviceNumber)).toEqual({ status: 'device_already_linked' });
    expect(await sendLink(annPhone, 'b', annPhone.deviceNumber)).toEqual({ status: 'no_such_device' });
    expect(await sendLink(annPhone, 'c', 99)).toEqual({ status: 'no_such_device' });
    expect(benLaptop.deviceNumber).toBe(3);
    expect(await sendLink(annPhone, 'd', benLaptop.deviceNumber)).toEqual({ status: 'no_such_device' });
    expect(await inboxOf(benLaptop)).toEqual([]);
    expect(await countRows('device_inbox')).toBe(0);
    expect(await countRows('inbox_sends')).toBe(0);

    // A refused client id stays unused: the corrected hand-over may carry it.
    const annLaptop = await device(ann, { keys: false });
    expect((await sendLink(annPhone, 'a', annLaptop.deviceNumber)).status).toBe('stored');
  });
});
