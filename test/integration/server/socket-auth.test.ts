import { afterEach, expect, it } from 'vitest';
import { sessionResponse } from '../../../sync/protocol/frames.js';
import { createServerHarness, logIn } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('sync socket authentication', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('refuses the upgrade with 401 without a token, with an unknown token, or a malformed header', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server);
    expect(await h.refusedStatus(server)).toBe(401);
    expect(await h.refusedStatus(server, { authorization: `Bearer ${'0'.repeat(64)}` })).toBe(401);
    expect(await h.refusedStatus(server, { authorization: account.token })).toBe(401);
    expect(await h.refusedStatus(server, { authorization: `Basic ${account.token}` })).toBe(401);
    // The server is unharmed and still lets the real owner in.
    const socket = await h.connect(server, account.token);
    expect(socket.user).toEqual(account.user);
  });

  it('refuses upgrades on other paths with 404', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server);
    const status = await h.refusedStatus(server, { authorization: `Bearer ${account.token}` }, '/v1/elsewhere');
    expect(status).toBe(404);
  });

  it('welcomes an authenticated socket with who the server thinks you are', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server, { username: 'dora', displayName: 'Dora' });
    const login = sessionResponse.parse((await logIn(server.httpUrl, 'dora', account.password)).body);
    // Both the sign-up token and the later sign-in token open a socket.
    for (const token of [account.token, login.token]) {
      const socket = await h.connect(server, token);
      const welcome = await socket.waitForPush('welcome');
      expect(welcome.user).toEqual({ id: account.user.id, username: 'dora', displayName: 'Dora' });
      expect(Number.isInteger(welcome.serverTime)).toBe(true);
      await socket.barrier();
    }
  });
});
