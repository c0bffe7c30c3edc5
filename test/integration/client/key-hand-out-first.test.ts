/**
 * The key before the envelope (crypto/device-sender.ts, outbox-sender.ts): an envelope sealed
 * under a sender key goes to the server only once that key's hand-out is there. Were it to go
 * first, a device that then went away would leave every member holding an envelope they cannot
 * open, asking for it again, until it came back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientFrame } from '../../../sync/protocol/frames.js';
import { converse, offline, person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

/** The order of the device sends and envelopes alice's device put on the wire. */
const sendsOf = (frames: readonly ClientFrame[]) =>
  frames.flatMap((frame) => (frame.type === 'send_to_devices' || frame.type === 'send_envelope' ? [frame.type] : []));

describe('a sender key is handed out before anything sealed under it goes', () => {
  it('holds the message while the hand-out is refused for now, and sends it once the hand-out is stored', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const alice = (await person(clients, server, 'alice', { transport })).core;
    const bob = (await person(clients, server, 'bob')).core;
    const conversationId = await converse(alice, bob, 'bob');

    // The server answers alice's device sends "try again later" (as it does under load), three times.
    let refused = 0;
    transport.fromClient = (frame) => {
      if (frame.type !== 'send_to_devices' || refused >= 3) return 'pass';
      refused += 1;
      return { answer: { type: 'error', rid: frame.rid, code: 'rate_limited', message: 'Try again later' } };
    };
    const sent = await alice.sendMessage({ conversationId, text: 'after the key' });
    await eventually(
      () => refused,
      (count) => count >= 2,
      'the hand-out was refused twice',
      20_000,
    );
    // Sealed, but not sent: bob would hold it unopened.
    expect(sendsOf(transport.sent)).toEqual([]);
    expect((await alice.listMessages({ conversationId })).messages.find((m) => m.id === sent.id)?.status).toBe('sending');

    await eventually(
      async () => (await bob.listMessages({ conversationId })).messages.map((message) => message.text),
      (texts) => texts.includes('after the key'),
      'bob reads the message',
      30_000,
    );
    expect(sendsOf(transport.sent)).toEqual(['send_to_devices', 'send_envelope']);
  });

  it('a connection lost while the message waits for its key sends both on the next one, the message once', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const alice = (await person(clients, server, 'alice', { transport })).core;
    const bob = (await person(clients, server, 'bob')).core;
    const conversationId = await converse(alice, bob, 'bob');

    let refusing = true;
    let refused = 0;
    transport.fromClient = (frame) => {
      if (frame.type !== 'send_to_devices' || !refusing) return 'pass';
      refused += 1;
      return { answer: { type: 'error', rid: frame.rid, code: 'rate_limited', message: 'Try again later' } };
    };
    await alice.sendMessage({ conversationId, text: 'across the outage' });
    await eventually(
      () => refused,
      (count) => count >= 1,
      'the hand-out was refused',
      20_000,
    );
    await alice.setPreferences({ workOffline: true });
    await offline(alice);
    refusing = false;
    await alice.setPreferences({ workOffline: false });

    await eventually(
      async () => (await bob.listMessages({ conversationId })).messages.map((message) => message.text),
      (texts) => texts.includes('across the outage'),
      'bob reads the message',
      30_000,
    );
    const order = sendsOf(transport.sent);
    expect(order.indexOf('send_to_devices')).toBeLessThan(order.indexOf('send_envelope'));
    expect(order.filter((type) => type === 'send_envelope')).toHaveLength(1);
    expect((await bob.listMessages({ conversationId })).messages.filter((m) => m.text === 'across the outage')).toHaveLength(1);
  });
});
