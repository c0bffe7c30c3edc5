/**
 * One account, or one address, holds only so many sync sockets on a node: beyond that the upgrade
 * is refused (429) before it costs anything but the session lookup, and a closed socket frees its
 * place at once.
 */
import { afterEach, expect, it } from 'vitest';
import { eventually } from '../../support/client-harness.js';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('connection caps', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it("refuses an account's socket over its cap and an address's over its own, and frees a place when one closes", async () => {
    const server = await h.startServer({ connectionCaps: { perAccount: 2, perAddress: 3 } });
    const alice = await h.createAccount(server, { username: 'alice' });
    const bob = await h.createAccount(server, { username: 'bob' });
    const carol = await h.createAccount(server, { username: 'carol' });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const first = await h.connect(server, alice.token);
    await h.connect(server, alice.token);
    expect(await h.refusedStatus(server, bearer(alice.token))).toBe(429);
    // Bob is not Alice: his first socket is his, and it is the address's third.
    await h.connect(server, bob.token);
    expect(await h.refusedStatus(server, bearer(carol.token))).toBe(429);

    await first.close();
    const again = await eventually(
      () => h.refusedStatus(server, bearer(carol.token)).catch(() => 101),
      (status) => status === 101,
      'a place is free again',
    );
    expect(again).toBe(101);
  });
});
