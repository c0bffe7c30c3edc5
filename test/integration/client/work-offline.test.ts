/**
 * Work offline against a real server: switched on, the core closes its socket (the server sees the
 * device leave) and opens no other; sends wait in the outbox exactly as with no network; switched
 * off, it connects at once and they are delivered once each, in order. Started with
 * `workOffline: true` (--offline), it never opens a socket at all. The preference itself lives
 * beside the mirror: signed out, across restarts, sign-out and a change of account.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { openClientCore } from '../../../sync/client/client-core.js';
import type { SocketHandlers, SyncSocket, SyncTransport } from '../../../sync/client/transport.js';
import { wsTransport } from '../../../sync/client/ws-transport.js';
import { createClientHarness, eventually } from '../../support/client-harness.js';
import { converse, online, person, settled } from '../../support/people.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD, logIn, type TestServer } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
const opened: ClientCore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((core) => core.close()));
  await clients.cleanup();
  await servers.cleanup();
});

/** The real WebSocket transport, counting the sockets it opens. */
class CountingTransport implements SyncTransport {
  opens = 0;
  open(url: string, token: string, handlers: SocketHandlers): SyncSocket {
    this.opens++;
    return wsTransport.open(url, token, handlers);
  }
}

/** Longer than the first two reconnect waits after a drop (RECONNECT_BACKOFF: at most 0.5 s, then 1 s). */
const LONGER_THAN_RECONNECTING_MS = 1_600;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many times the server logged this user's socket opening and closing. */
function socketsSeen(server: TestServer, userId: string): { opened: number; closed: number } {
  const count = (message: string) =>
    server.logLines.filter((line) => line.message === message && line.fields?.user === userId).length;
  return { opened: count('Connection opened'), closed: count('Connection closed') };
}

const texts = async (core: ClientCore, conversationId: string) =>
  (await core.listMessages({ conversationId, limit: 1000 })).messages.map((message) => message.text);

describe('Work offline', () => {
  it('disconnects at once and stays off; sends queue; switched back, they are delivered once each, in order', async () => {
    const server = await servers.startServer();
    const transport = new CountingTransport();
    const alice = await person(clients, server, 'alice', { transport });
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');
    const before = await alice.core.sendMessage({ conversationId, text: 'before' });
    await settled(alice.core, conversationId);
    // Bob opens it once his device has Alice's sender key, which comes on its own way.
    await eventually(
      () => texts(bob.core, conversationId),
      (seen) => seen.length === 1,
      'bob has the first',
    );
    const aliceId = (await alice.core.getSession())!.user.id;
    const opensBefore = transport.opens;
    expect(socketsSeen(server, aliceId)).toEqual({ opened: opensBefore, closed: opensBefore - 1 });

    const events = alice.core.events.length;
    const preferences = await alice.core.setPreferences({ workOffline: true });
    expect(preferences.workOffline).toBe(true);
    // Offline at once, said as the connection always says it (there is no fourth state).
    expect(await alice.core.getConnectionState()).toBe('offline');
    expect(alice.core.events.slice(events)).toEqual(
      expect.arrayContaining<AppEvent>([{ type: 'connection', state: 'offline' }, { type: 'preferences' }]),
    );
    await eventually(
      () => socketsSeen(server, aliceId),
      (seen) => seen.closed === seen.opened,
      'the server sees alice’s device leave',
    );

    const one = await alice.core.sendMessage({ conversationId, text: 'one' });
    const two = await alice.core.sendMessage({ conversationId, text: 'two' });
    await pause(LONGER_THAN_RECONNECTING_MS);
    // No socket was opened again, nothing reached the server, and the sends wait in the outbox.
    expect(transport.opens).toBe(opensBefore);
    expect(await alice.core.getConnectionState()).toBe('offline');
    const waiting = (await alice.core.listMessages({ conversationId, limit: 10 })).messages.slice(-2);
    expect(waiting.map((message) => [message.text, message.status])).toEqual([
      ['one', 'sending'],
      ['two', 'sending'],
    ]);
    expect(await texts(bob.core, conversationId)).toEqual(['before']);
    // HTTP requests fail as with no network, too.
    await expect(alice.core.listSessions()).rejects.toMatchObject({ code: 'offline' });

    await alice.core.setPreferences({ workOffline: false });
    expect(await alice.core.getConnectionState()).toBe('connecting');
    expect(transport.opens).toBe(opensBefore + 1);
    await online(alice.core);
    await settled(alice.core, conversationId);
    await eventually(
      () => texts(bob.core, conversationId),
      (seen) => seen.length === 3,
      'bob gets both',
    );
    expect(await texts(bob.core, conversationId)).toEqual(['before', 'one', 'two']);
    // Once each on the server too (the mirror would hide a second copy with the same id): sealed,
    // so its log is read for the envelopes' client ids.
    const { token } = (await logIn(server.httpUrl, 'bob', DEFAULT_TEST_PASSWORD)).body as { token: string };
    const stored = await (await servers.connect(server, token)).allEvents(conversationId);
    expect(stored.flatMap((event) => (event.kind === 'envelope' ? [event.clientId] : []))).toEqual([before.id, one.id, two.id]);
  });

  it('started with workOffline (--offline) never opens a socket, until it is switched off', async () => {
    const server = await servers.startServer();
    const profileDir = await clients.profileDir();
    const first = await clients.open(profileDir, server.url);
    await first.createAccount({
      serverUrl: server.url,
      username: 'carol',
      displayName: 'Carol',
      password: DEFAULT_TEST_PASSWORD,
    });
    await online(first);
    await first.close();

    const transport = new CountingTransport();
    const core = await openClientCore({ profileDir, defaultServerUrl: server.url, workOffline: true }, { transport });
    opened.push(core);
    expect(await core.getSession()).not.toBeNull();
    expect(await core.getPreferences()).toMatchObject({ workOffline: true });
    await pause(LONGER_THAN_RECONNECTING_MS);
    expect(transport.opens).toBe(0);
    expect(await core.getConnectionState()).toBe('offline');

    await core.setPreferences({ workOffline: false });
    await eventually(
      () => core.getConnectionState(),
      (state) => state === 'online',
      'online once switched back',
    );
    expect(transport.opens).toBe(1);
  });

  it('the preferences are kept signed out, across a restart, sign-out and a change of account', async () => {
    const server = await servers.startServer();
    await servers.createAccount(server, { username: 'dave' });
    await servers.createAccount(server, { username: 'erin' });
    const profileDir = await clients.profileDir();
    let core = await clients.open(profileDir, server.url);
    expect(await core.getPreferences()).toEqual({
      theme: 'system',
      language: 'system',
      notificationPreviews: true,
      workOffline: false,
      microphoneId: null,
      cameraId: null,
      speakerId: null,
      mapTileUrl: null,
    });
    await core.setPreferences({ theme: 'dark', notificationPreviews: false });
    await core.close();

    core = await clients.open(profileDir, server.url);
    expect(await core.getPreferences()).toMatchObject({ theme: 'dark', notificationPreviews: false });
    await core.logIn({ serverUrl: server.url, username: 'dave', password: DEFAULT_TEST_PASSWORD });
    await online(core);
    await core.setPreferences({ language: 'uk' });
    await core.logOut();
    expect(await core.getPreferences()).toEqual({
      theme: 'dark',
      language: 'uk',
      notificationPreviews: false,
      workOffline: false,
      microphoneId: null,
      cameraId: null,
      speakerId: null,
      mapTileUrl: null,
    });
    // Another account on this profile wipes the mirror; the device's preferences are not in it.
    await core.logIn({ serverUrl: server.url, username: 'erin', password: DEFAULT_TEST_PASSWORD });
    expect(await core.getPreferences()).toMatchObject({ theme: 'dark', language: 'uk' });

    // A change to what it already is announces nothing.
    const events = core.events.length;
    await core.setPreferences({ theme: 'dark' });
    expect(core.events.slice(events)).toEqual([]);
  });
});
