import { afterEach, expect, it } from 'vitest';
import { HEALTH_PATH } from '../../../sync/protocol/frames.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { createServerHarness, envelopesIn, testSealed } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('server shutdown', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('closes every socket with 1001, stops accepting, and can be called more than once', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket } = await h.pair(server);
    await Promise.all([server.close(), server.close()]);
    expect((await aliceSocket.closed).code).toBe(1001);
    expect((await bobSocket.closed).code).toBe(1001);
    await expect(fetch(server.httpUrl + HEALTH_PATH)).rejects.toThrow();
    await server.close();
    expect(server.logged).toEqual([]);
  });

  it('finishes frames it already received before closing the database', async () => {
    const server = await h.startServer();
    const { alice, aliceSocket, conversation } = await h.pair(server);
    const devicesVersion = await devicesVersionOf(aliceSocket, conversation.id);
    // Queue many envelopes, then close without waiting for their replies.
    for (let i = 0; i < 100; i += 1) {
      const frame = { type: 'send_envelope', rid: `q${i}`, conversationId: conversation.id, clientId: `q${i}` };
      aliceSocket.sendRaw(JSON.stringify({ ...frame, ciphertext: testSealed('queued'), devicesVersion }));
    }
    await aliceSocket.waitForReply('q0');
    await server.close();
    // No frame touched a closed database.
    expect(server.logged).toEqual([]);

    const again = await h.restart(server);
    const socket = await h.connect(again, alice.token);
    const events = envelopesIn(
      (await socket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0, limit: 500 }, 'events')).events,
    );
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.clientId)).toEqual(events.map((_, i) => `q${i}`));
  });
});
