/**
 * The protocol's version (protocol/version.ts): an app from before end-to-end encryption offers no
 * version and is told to update (426) before the server reads its token or serves it anything; an
 * app of this version is let in under it, whatever else it offers beside.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SYNC_PATH } from '../../../sync/protocol/frames.js';
import { PROTOCOL_HEADER, SYNC_PROTOCOL, UPGRADE_REQUIRED_STATUS } from '../../../sync/protocol/version.js';
import { createServerHarness } from '../../support/server-harness.js';

describe('the protocol version', () => {
  const h = createServerHarness();
  afterEach(() => h.cleanup());

  it('refuses an app that offers no version or another one with 426, token or not, and lets this version in', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server);
    const bearer = { authorization: `Bearer ${account.token}` };
    expect(await h.refusedStatus(server, bearer, SYNC_PATH, [])).toBe(UPGRADE_REQUIRED_STATUS);
    expect(await h.refusedStatus(server, bearer, SYNC_PATH, ['messenger.e2ee.0'])).toBe(UPGRADE_REQUIRED_STATUS);
    expect(await h.refusedStatus(server, {}, SYNC_PATH, [])).toBe(UPGRADE_REQUIRED_STATUS);
    // Told nothing else: no session was looked at, no socket attached, nobody came online.
    expect(server.logLines.filter((line) => line.message === 'Refused a socket').map((line) => line.fields?.status)).toEqual([
      UPGRADE_REQUIRED_STATUS,
      UPGRADE_REQUIRED_STATUS,
      UPGRADE_REQUIRED_STATUS,
    ]);

    const socket = new WebSocket(server.url + SYNC_PATH, ['messenger.e2ee.0', SYNC_PROTOCOL], { headers: bearer });
    const named = new Promise<unknown>((resolve) =>
      socket.once('upgrade', (response) => resolve(response.headers[PROTOCOL_HEADER.toLowerCase()])),
    );
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    expect(socket.protocol).toBe(SYNC_PROTOCOL);
    expect(await named).toBe(SYNC_PROTOCOL);
    socket.close();
  });
});
