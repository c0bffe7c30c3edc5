/**
 * A full disk under a real client core and a real server: writes to the mirror fail with
 * SQLITE_FULL for a while (test/support/full-disk.ts), then succeed again. The app is told
 * `disk_full` (not "something went wrong"), nothing is lost, and it recovers by itself. Every
 * message goes sealed: Bob writes from a client core of his own, and the server's log is read for
 * Alice's envelopes, by client id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAppApiClient, type AppApiClient } from '../../../sync/app-api/client.js';
import { AppApiError, type AppEvent } from '../../../sync/app-api/contract.js';
import { createAppDispatcher } from '../../../sync/app-api/dispatcher.js';
import { openClientCore } from '../../../sync/client/client-core.js';
import { openClientCoreWithRecovery } from '../../../sync/client/recovering-core.js';
import type { SyncSocket, SyncTransport } from '../../../sync/client/transport.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { simulateFullDisk, type FullDisk } from '../../support/full-disk.js';
import { online } from '../../support/people.js';
import { createServerHarness, type TestClient } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
let disk: FullDisk | null = null;

afterEach(async () => {
  disk?.restore();
  disk = null;
  await clients.cleanup();
  await servers.cleanup();
});

/** The core as a host runs it (recovery and disk watch around it), reached through the dispatcher like a renderer. */
async function openApp(
  profileDir: string,
  serverUrl: string,
  transport?: SyncTransport,
): Promise<{ api: AppApiClient; events: AppEvent[]; close: () => Promise<void> }> {
  const core = await openClientCoreWithRecovery(
    { profileDir, defaultServerUrl: serverUrl },
    (options) => openClientCore(options, transport ? { transport } : {}),
    {
      diskProbeMs: 50,
    },
  );
  const events: AppEvent[] = [];
  core.subscribe((event) => events.push(event));
  const dispatch = createAppDispatcher(core);
  const api = createAppApiClient({
    invoke: (method, args) => dispatch(method, args),
    subscribe: (listener) => core.subscribe(listener),
  });
  return { api, events, close: () => core.close() };
}

/** The client ids of `senderId`'s envelopes in the server's log of the conversation, in order. */
async function envelopesOf(reader: TestClient, conversationId: string, senderId: string): Promise<string[]> {
  return (await reader.allEvents(conversationId)).flatMap((event) =>
    event.kind === 'envelope' && event.senderId === senderId ? [event.clientId] : [],
  );
}

describe('full disk', () => {
  it('says disk_full, loses nothing, and recovers by itself once there is room: each message stored and sent once', async () => {
    const server = await servers.startServer();
    const { alice, bob, bobSocket, conversation } = await servers.pair(server);
    const profileDir = await clients.profileDir();
    const app = await openApp(profileDir, server.url);
    try {
      await app.api.logIn({ serverUrl: server.url, username: alice.user.username, password: alice.password });
      await eventually(
        () => app.api.listConversations(),
        (list) => list.length === 1,
        'the conversation',
      );
      await eventually(
        () => app.api.getConnectionState(),
        (state) => state === 'online',
        'online',
      );
      // Bob's device, which seals what he writes for Alice's.
      const bobCore = await clients.open(await clients.profileDir(), server.url);
      await bobCore.logIn({ serverUrl: server.url, username: bob.user.username, password: bob.password });
      await online(bobCore);
      await eventually(
        () => bobCore.listConversations({ folder: 'all' }),
        (list) => list.some((c) => c.id === conversation.id),
        'the conversation on Bob’s device',
      );

      disk = simulateFullDisk(profileDir);
      disk.fill();
      const failure = await app.api.sendMessage({ conversationId: conversation.id, text: 'Typed while the disk was full' }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(AppApiError);
      expect((failure as AppApiError).code).toBe('disk_full');
      expect(await app.api.getCoreState()).toEqual({ kind: 'ready', diskFull: true, settingsFull: false });
      expect(app.events).toContainEqual({ type: 'core_state' });

      // Meanwhile Bob writes: applying his message needs the disk too.
      await bobCore.sendMessage({ conversationId: conversation.id, text: 'Bob, while the disk was full' });
      await eventually(
        () => disk!.refused,
        (refused) => refused > 1,
        'the sync engine trying to write',
      );
      expect(await app.api.getCoreState()).toEqual({ kind: 'ready', diskFull: true, settingsFull: false });

      disk.free();
      await eventually(
        () => app.api.getCoreState(),
        (state) => state.kind === 'ready' && !state.diskFull,
        'the disk watch noticing room',
      );
      // The text the composer kept is sent again by the person: stored and sent once.
      const typed = await app.api.sendMessage({ conversationId: conversation.id, text: 'Typed while the disk was full' });
      const page = await eventually(
        () => app.api.listMessages({ conversationId: conversation.id }),
        (shown) => shown.messages.length === 2 && shown.messages.every((message) => message.seq !== null),
        'Bob’s message applied and ours acknowledged',
      );
      expect(page.messages.map((message) => message.text).sort()).toEqual([
        'Bob, while the disk was full',
        'Typed while the disk was full',
      ]);
      // The send refused for the full disk left nothing behind: Alice's one envelope is this message.
      expect(await envelopesOf(bobSocket, conversation.id, alice.user.id)).toEqual([typed.id]);
    } finally {
      await app.close();
    }
  });

  it('a message on its way when the disk filled is sent exactly once after there is room again', async () => {
    const server = await servers.startServer();
    const { alice, bobSocket, conversation } = await servers.pair(server);
    const profileDir = await clients.profileDir();
    const transport = new FaultyTransport();
    let socket: SyncSocket | null = null;
    // Alice's sends are lost on the way while `lose` holds: the message stays queued, unacknowledged.
    let lose = true;
    let lost = 0;
    transport.fromClient = (frame, from) => {
      socket = from;
      if (!lose || frame.type !== 'send_envelope') return 'pass';
      lost++;
      return 'drop';
    };
    const app = await openApp(profileDir, server.url, transport);
    try {
      await app.api.logIn({ serverUrl: server.url, username: alice.user.username, password: alice.password });
      await eventually(
        () => app.api.listConversations(),
        (list) => list.length === 1,
        'the conversation',
      );
      const onItsWay = await app.api.sendMessage({ conversationId: conversation.id, text: 'On its way when the disk filled' });
      await eventually(
        () => lost,
        (count) => count > 0,
        'the send lost on the way',
      );

      // The disk fills, then the connection drops: going again needs writes (the attempt, the acknowledgement).
      disk = simulateFullDisk(profileDir);
      disk.fill();
      lose = false;
      socket!.close();
      await eventually(
        () => disk!.refused,
        (refused) => refused > 0,
        'the sender trying to write',
      );
      disk.free();
      await eventually(
        () => app.api.listMessages({ conversationId: conversation.id }),
        (shown) => shown.messages.length === 1 && shown.messages[0]!.seq !== null,
        'the message acknowledged',
        20_000,
      );
      expect(await envelopesOf(bobSocket, conversation.id, alice.user.id)).toEqual([onItsWay.id]);
    } finally {
      await app.close();
    }
  }, 30_000);
});
