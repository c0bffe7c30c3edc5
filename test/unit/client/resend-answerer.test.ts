/**
 * Answering resend requests (crypto/resend-answerer.ts) over a real mirror and libsignal, with
 * what it would send caught: a member's device is handed the current sender key and what the
 * envelope said, once; one that asks past the rate, someone not a member (now, or when the
 * envelope was sealed), and a request for what was deleted for everyone or is not kept get
 * nothing, or "cannot".
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { ResendAnswerer } from '../../../sync/client/crypto/resend-answerer.js';
import type { MessageEffect } from '../../../sync/client/crypto/resend-asker.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { thisDevice, type ThisDevice } from '../../../sync/client/crypto/this-device.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { LogFields } from '../../../sync/common/logger.js';
import type { DeviceMessage } from '../../../sync/content/device-messages.js';
import { handRuntime } from '../../support/hand-runtime.js';

const signal = await loadSignal();
const paths = createTempMirrorPaths('resend-answerer-');
afterEach(() => paths.cleanup());

const person = (id: string) => ({ id, username: id, displayName: id, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const peerPhone = { userId: 'peer', deviceNumber: 3 };
/** An envelope this device sealed, as the server stored it. */
const stored = (clientId: string, seq: number) => ({ conversationId: 'g', clientId, seq, sentAt: 10_000 });
const request = (clientId: string, conversationId = 'g') => ({
  kind: 'resend_request' as const,
  forDevice: 1,
  conversationId,
  clientId,
});

async function setUp() {
  const mirror = Mirror.open(paths.path());
  mirror.upsertConversation(
    { id: 'g', kind: 'group', name: 'Trip', isMember: true, createdAt: 1, lastSeq: 0, members: ['me', 'peer'].map(person) },
    'me',
  );
  mirror.upsertConversation(
    {
      id: 'other',
      kind: 'group',
      name: 'Other',
      isMember: true,
      createdAt: 1,
      lastSeq: 0,
      members: ['me', 'stranger'].map(person),
    },
    'me',
  );
  const { runtime, advance } = handRuntime();
  const identity = signal.IdentityKeyPair.generate();
  const device = (await thisDevice(mirror, runtime, async () => ({ signal, identity }), 'me', 1)) as ThisDevice;
  const sent: Array<{ to: string; message: DeviceMessage }> = [];
  const warnings: Array<{ message: string; fields?: LogFields }> = [];
  const answerer = new ResendAnswerer(
    mirror,
    runtime,
    {
      queue: (userIds, message) => userIds.forEach((to) => sent.push({ to, message })),
      queueFor: (to, message) => sent.push({ to: to.userId, message: { ...message, forDevice: to.deviceNumber } }),
    },
    'me',
    {
      error: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
      warn: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
      info: () => undefined,
      debug: () => undefined,
    },
    { requests: 3, windowMs: 60_000 },
  );
  /** Answers as the inbox does: the effect written in a transaction. */
  const answer = async (from: { userId: string; deviceNumber: number }, message: ReturnType<typeof request>) => {
    const effect: MessageEffect | null = await answerer.answer(device, device.ratchet(), from, message);
    mirror.transaction(() => effect?.write());
    effect?.told?.();
    return effect;
  };
  return { mirror, advance, answer, sent, warnings };
}

describe('answering resend requests', () => {
  it('hands a member’s device the current key and the content, once', async () => {
    const { mirror, answer, sent } = await setUp();
    const distributionId = randomUUID();
    mirror.signal.startSenderKey('g', distributionId, 1);
    // The devices the server last named: the person's phone and desk.
    const peerDevices = [
      { deviceNumber: 1, registrationId: 101 },
      { deviceNumber: peerPhone.deviceNumber, registrationId: 103 },
    ];
    mirror.transaction(() =>
      mirror.signal.setConversationDevices('g', { version: 4, members: [{ userId: 'peer', devices: peerDevices }] }),
    );
    mirror.sentContent.keep(stored('m1', 1), { kind: 'message', text: 'hello' });
    await answer(peerPhone, request('m1'));
    expect(sent.map(({ to, message }) => [to, message.kind])).toEqual([
      ['peer', 'sender_key'],
      ['peer', 'resent_content'],
    ]);
    expect(sent[1]!.message).toEqual({
      kind: 'resent_content',
      forDevice: 3,
      conversationId: 'g',
      clientId: 'm1',
      content: { kind: 'message', text: 'hello' },
    });
    // Sent to every device of theirs (the inbox takes all or none): each the server named holds it now.
    expect(mirror.signal.senderKeyHolders(distributionId)).toEqual(peerDevices.map((device) => ({ userId: 'peer', ...device })));
    // Asked again, it is not sent again.
    await answer(peerPhone, request('m1'));
    expect(sent).toHaveLength(2);
  });

  it('hands the key out once a window however many envelopes a device asks for', async () => {
    const { mirror, answer, sent, advance } = await setUp();
    mirror.signal.startSenderKey('g', randomUUID(), 1);
    for (const [clientId, seq] of [
      ['m1', 1],
      ['m2', 2],
      ['m3', 3],
    ] as const) {
      mirror.sentContent.keep(stored(clientId, seq), { kind: 'message', text: clientId });
    }
    await answer(peerPhone, request('m1'));
    await answer(peerPhone, request('m2'));
    expect(sent.map(({ message }) => message.kind)).toEqual(['sender_key', 'resent_content', 'resent_content']);
    // A window later, the device may have lost it again.
    await advance(60_001);
    await answer(peerPhone, request('m3'));
    expect(sent.map(({ message }) => message.kind).slice(3)).toEqual(['sender_key', 'resent_content']);
  });

  it('says it cannot for what is not kept or was deleted for everyone, and answers nothing to a stranger', async () => {
    const { mirror, answer, sent, warnings } = await setUp();
    mirror.applyEvents(
      'g',
      [
        {
          kind: 'message',
          conversationId: 'g',
          seq: 1,
          senderId: 'me',
          clientMessageId: 'm1',
          text: 'oops',
          sentAt: 1,
          replyTo: null,
          deleted: false,
          attachments: [],
        },
      ],
      'me',
    );
    mirror.sentContent.keep(stored('m1', 1), { kind: 'message', text: 'oops' });
    mirror.applyEvents(
      'g',
      [{ kind: 'delete', conversationId: 'g', seq: 2, senderId: 'me', sentAt: 2, clientChangeId: 'd1', messageId: 'm1' }],
      'me',
    );
    await answer(peerPhone, request('m1'));
    await answer(peerPhone, request('never-sent'));
    expect(sent.map(({ message }) => message)).toEqual([
      { kind: 'cannot_resend', forDevice: 3, conversationId: 'g', clientId: 'm1' },
      { kind: 'cannot_resend', forDevice: 3, conversationId: 'g', clientId: 'never-sent' },
    ]);
    // A member of another conversation, asking about this one: nothing, logged by ids alone.
    expect(await answer({ userId: 'stranger', deviceNumber: 1 }, request('m1'))).toBeNull();
    expect(sent).toHaveLength(2);
    expect(warnings).toEqual([
      {
        message: 'a resend request from someone not a member was ignored',
        fields: { conversationId: 'g', clientId: 'm1', from: 'stranger.1' },
      },
    ]);
  });

  it('answers nothing for what was sealed before the asker joined or while they were away, and one who was there', async () => {
    const { mirror, answer, sent, warnings } = await setUp();
    const base = { conversationId: 'g', senderId: 'me', sentAt: 1 };
    const said = (clientId: string, seq: number) => {
      const text = `said at ${seq}`;
      const event = { ...base, kind: 'message' as const, seq, clientMessageId: clientId, text, replyTo: null, deleted: false };
      mirror.applyEvents('g', [{ ...event, attachments: [] }], 'me');
      mirror.sentContent.keep(stored(clientId, seq), { kind: 'message', text });
    };
    const carolJoins = (seq: number) =>
      mirror.applyEvents(
        'g',
        [{ ...base, kind: 'members_added', seq, clientChangeId: `a${seq}`, members: [person('carol')] }],
        'me',
      );
    mirror.applyEvents('g', [{ ...base, kind: 'group_created', seq: 1, name: null, members: ['me', 'peer'].map(person) }], 'me');
    said('m2', 2);
    carolJoins(3);
    said('m4', 4);
    mirror.applyEvents('g', [{ ...base, kind: 'member_removed', seq: 5, clientChangeId: 'r5', userId: 'carol' }], 'me');
    said('m6', 6);
    carolJoins(7);

    // Carol learnt the ids (a reply, a forward): what came before she joined, or while she was away, stays with us.
    const carolsPhone = { userId: 'carol', deviceNumber: 2 };
    expect(await answer(carolsPhone, request('m2'))).toBeNull();
    expect(await answer(carolsPhone, request('m6'))).toBeNull();
    expect(warnings).toEqual(
      ['m2', 'm6'].map((clientId) => ({
        message: 'a resend request for an envelope sealed while the asker was not a member was ignored',
        fields: { conversationId: 'g', clientId, from: 'carol.2' },
      })),
    );
    // What she was there for she is sent again, as the peer, there all along, is the first.
    await answer(carolsPhone, request('m4'));
    await answer(peerPhone, request('m2'));
    expect(sent).toEqual([
      {
        to: 'carol',
        message: {
          kind: 'resent_content',
          forDevice: 2,
          conversationId: 'g',
          clientId: 'm4',
          content: { kind: 'message', text: 'said at 4' },
        },
      },
      {
        to: 'peer',
        message: {
          kind: 'resent_content',
          forDevice: 3,
          conversationId: 'g',
          clientId: 'm2',
          content: { kind: 'message', text: 'said at 2' },
        },
      },
    ]);
  });

  it('answers each device at most at the rate, and again once the window passed', async () => {
    const { mirror, advance, answer, sent, warnings } = await setUp();
    for (let i = 0; i < 5; i++) mirror.sentContent.keep(stored(`m${i}`, i + 1), { kind: 'message', text: `${i}` });
    for (let i = 0; i < 4; i++) await answer(peerPhone, request(`m${i}`));
    expect(sent).toHaveLength(3);
    expect(warnings.map((warning) => warning.message)).toEqual(['a resend request past the rate was ignored']);
    // Another device of the same person has a rate of its own.
    await answer({ ...peerPhone, deviceNumber: 4 }, request('m3'));
    expect(sent).toHaveLength(4);
    await advance(60_001);
    await answer(peerPhone, request('m4'));
    expect(sent).toHaveLength(5);
  });
});
