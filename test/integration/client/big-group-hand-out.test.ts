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
import { createServerHarness, type TestServer } from '../../support/server-harness.js';
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
    const { alice, group, members } = await bigGroup(server, transport);

    await alice.core.sendMessage({ conversationId: group, text: 'hello, everyone' });
    await everyoneReads(members, group, 'hello, everyone');

    const handOuts = handOutsSent(transport);
    expect(handOuts.length).toBeGreaterThan(1);
    for (const frame of handOuts) {
      expect(frame.envelopes.length).toBeLessThanOrEqual(INBOX_LIMITS.maxEnvelopesPerSend);
      expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
    }
    // Every other member's device was handed the key once, each frame under its own client id.
    expect(handOuts.flatMap((frame) => frame.envelopes.map((envelope) => envelope.userId)).sort()).toEqual(
      members.map((member) => member.id).sort(),
    );
    expect(new Set(handOuts.map((frame) => frame.clientId)).size).toBe(handOuts.length);
  }, 180_000);

  it('a connection lost after the first frame: the rest goes on the next one, and each member is handed the key once', async () => {
    const server = await servers.startServer();
    const transport = new FaultyTransport();
    const { alice, group, members } = await bigGroup(server, transport);
    // The server stores the first frame, and its answer is lost with the connection.
    let cut = false;
    transport.fromServer = (frame, socket) => {
      if (cut || frame.type !== 'envelopes_sent') return 'pass';
      cut = true;
      socket.close();
      return 'drop';
    };

    await alice.core.sendMessage({ conversationId: group, text: 'across a cut' });
    await everyoneReads(members, group, 'across a cut');
    expect(cut).toBe(true);

    // The frame whose answer was lost went again under its own id (the server stores it once); no one is in two sends.
    const byClientId = new Map(handOutsSent(transport).map((frame) => [frame.clientId, frame]));
    expect([...byClientId.values()].flatMap((frame) => frame.envelopes.map((envelope) => envelope.userId)).sort()).toEqual(
      members.map((member) => member.id).sort(),
    );
  }, 180_000);
});

/** Alice and MEMBERS - 1 others, each with one device, in a group Alice made. */
async function bigGroup(server: TestServer, transport: FaultyTransport) {
  const alice = await person(clients, server, 'alice', { transport });
  const others: Person[] = [];
  for (let i = 1; i < MEMBERS; i += 1) others.push(await person(clients, server, `member${i}`));
  const users = await Promise.all(others.map((_, i) => alice.core.findUser({ username: `member${i + 1}` })));
  const { id: group } = await alice.core.createGroup({ name: 'everyone', memberIds: users.map((user) => user.id) });
  return { alice, group, members: others.map((other, i) => ({ ...other, id: users[i]!.id })) };
}

async function everyoneReads(members: ReadonlyArray<Person & { id: string }>, conversationId: string, text: string) {
  for (const member of members) {
    await eventually(
      async () =>
        (await member.core.listMessages({ conversationId }).catch(() => ({ messages: [] }))).messages.map(
          (message) => message.text,
        ),
      (texts) => texts.includes(text),
      `${member.id} reads "${text}"`,
      30_000,
    );
  }
}

function handOutsSent(transport: FaultyTransport) {
  return transport.sent.filter(
    (frame): frame is Extract<ClientFrame, { type: 'send_to_devices' }> => frame.type === 'send_to_devices',
  );
}
