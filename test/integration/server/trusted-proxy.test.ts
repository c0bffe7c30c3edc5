/**
 * Behind a load balancer every request comes from the balancer: per-address limits count the
 * client it forwards for (X-Forwarded-For), but only when the balancer is a trusted proxy; from
 * anyone else the header is ignored, so a client cannot pick the address it is counted under.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNTS_PATH } from '../../../sync/protocol/frames.js';
import { createServerHarness } from '../../support/server-harness.js';

const h = createServerHarness();
afterEach(() => h.cleanup());

/** One sign-up a server lets through per address. */
const ONE_SIGN_UP = {
  signInFailuresPerUsernameAndAddress: { points: 1_000, seconds: 600 },
  signInFailuresPerUsername: { points: 1_000, seconds: 600 },
  signInsPerAddress: { points: 1_000, seconds: 600 },
  signUpsPerAddress: { points: 1, seconds: 600 },
};

async function signUp(httpUrl: string, username: string, forwardedFor: string): Promise<number> {
  const response = await fetch(httpUrl + ACCOUNTS_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username, displayName: username, password: 'a password' }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('client address behind a proxy', () => {
  it('counts the forwarded client when the peer is a trusted proxy', async () => {
    // The test's requests come from 127.0.0.1: here, the balancer.
    const server = await h.startServer({ accountLimits: ONE_SIGN_UP, trustedProxies: ['127.0.0.1'] });
    expect(await signUp(server.httpUrl, 'first', '203.0.113.1')).toBe(201);
    expect(await signUp(server.httpUrl, 'second', '203.0.113.2')).toBe(201);
    // A client claiming an address of its own left of what the proxy appended gains nothing.
    expect(await signUp(server.httpUrl, 'third', '198.51.100.1, 203.0.113.1')).toBe(429);
  });

  it("counts an IPv6 client by its /64, so fresh addresses from one subscriber's block gain nothing", async () => {
    const server = await h.startServer({ accountLimits: ONE_SIGN_UP, trustedProxies: ['127.0.0.1'] });
    expect(await signUp(server.httpUrl, 'first', '2001:db8:1:2::1')).toBe(201);
    expect(await signUp(server.httpUrl, 'second', '2001:db8:1:2:dead:beef:0:7')).toBe(429);
    // Another /64 is another subscriber.
    expect(await signUp(server.httpUrl, 'third', '2001:db8:1:3::1')).toBe(201);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const server = await h.startServer({ accountLimits: ONE_SIGN_UP, trustedProxies: ['10.0.0.2'] });
    expect(await signUp(server.httpUrl, 'first', '203.0.113.1')).toBe(201);
    // Spoofed: still counted as 127.0.0.1, whose one sign-up is spent.
    expect(await signUp(server.httpUrl, 'second', '203.0.113.2')).toBe(429);
  });
});
