/**
 * A sender key handed to more devices than one frame holds (crypto/device-send-frames.ts): the
 * first message into a big group starts a pairwise session with every member's device, and those
 * first messages (each carrying a Kyber ciphertext) outgrow a frame after a few dozen devices.
 * Sent as one frame the server would cut the connection, and the message would never go.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { INBOX_LIMITS } from '../../../sync/protocol/inbox-frames.js';
import type { ClientFrame } from '../../../sync/protocol/frames.js';
import { person, type Person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

/** More than one frame's worth of first messages (about 2.3 KB each: 64 KiB holds some 27). */
const MEMBERS = 36;

describe('a sender key handed to more devices than one frame holds', () => {
  it('goes in several frames, each within the limits, and every member reads the first message', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const alice = await person(clients, server, 'alice', { transport });
    const others: Person[] = [];
    for (let i = 1; i < MEMBERS; i += 1) others.push(await person(clients, server, `member${i}`));
    const ids = await Promise.all(others.map((_, i) => alice.core.findUser({ username: `member${i + 1}` })));
    const group = await alice.core.createGroup({ name: 'everyone', memberIds: ids.map((user) => user.id) });

    await alice.core.sendMessage({ conversationId: group.id, text: 'hello, everyone' });
    for (const [i, other] of others.entries()) {
      await eventually(
        async () =>
          (await other.core.listMessages({ conversationId: group.id }).catch(() => ({ messages: [] }))).messages.map(
            (message) => message.text,
          ),
        (texts) => texts.includes('hello, everyone'),
        `member${i + 1} reads the first message`,
        30_000,
      );
    }

    const handOuts = transport.sent.filter(
      (frame): frame is Extract<ClientFrame, { type: 'send_to_devices' }> => frame.type === 'send_to_devices',
    );
    expect(handOuts.length).toBeGreaterThan(1);
    for (const frame of handOuts) {
      expect(frame.envelopes.length).toBeLessThanOrEqual(INBOX_LIMITS.maxEnvelopesPerSend);
      expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
    }
    // Every other member's device was handed the key once, each frame under its own client id.
    expect(handOuts.flatMap((frame) => frame.envelopes.map((envelope) => envelope.userId)).sort()).toEqual(
      ids.map((user) => user.id).sort(),
    );
    expect(new Set(handOuts.map((frame) => frame.clientId)).size).toBe(handOuts.length);
  }, 180_000);
});
