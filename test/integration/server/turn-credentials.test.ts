/**
 * The server hands out TURN relay credentials (call-frames.ts) to a signed-in device, for its own
 * account, expiring; with no relay configured it answers with none, and calls use host candidates.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerHarness } from '../../support/server-harness.js';

const h = createServerHarness();
afterEach(() => h.cleanup());

describe('TURN credentials from the server', () => {
  it('are for the asking account, signed with the relay’s secret, and expire an hour on', async () => {
    const urls = ['turn:127.0.0.1:3478', 'turns:relay.example.org:5349?transport=tcp'];
    const server = await h.startServer({ turn: { urls, secret: 'shared-with-coturn', ttlMs: 60 * 60 * 1000 } });
    const alice = await h.createAccount(server, { username: 'alice' });
    const socket = await h.connect(server, alice.token);
    const before = Date.now();
    const reply = await socket.call({ type: 'fetch_turn_credentials' }, 'turn_credentials');
    expect(reply.iceServers).toHaveLength(1);
    const [relay] = reply.iceServers;
    expect(relay!.urls).toEqual(urls);
    const [expiry, account] = relay!.username.split(':');
    expect(account).toBe(alice.user.id);
    expect(Number(expiry) * 1000).toBeGreaterThanOrEqual(before + 60 * 60 * 1000 - 1000);
    expect(reply.expiresAt! - before).toBeGreaterThanOrEqual(60 * 60 * 1000);
    expect(relay!.credential).toBe(createHmac('sha1', 'shared-with-coturn').update(relay!.username).digest('base64'));
  });

  it('are none when no relay is configured', async () => {
    const server = await h.startServer();
    const bob = await h.createAccount(server, { username: 'bob' });
    const socket = await h.connect(server, bob.token);
    expect(await socket.call({ type: 'fetch_turn_credentials' }, 'turn_credentials')).toMatchObject({
      iceServers: [],
      expiresAt: null,
    });
  });
});
