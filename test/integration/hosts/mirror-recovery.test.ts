/**
 * The browser app (built core worker + browser host) started on a mirror that cannot be opened:
 * it stays up in the recovery state, the file is kept under a dated name, and "Start fresh"
 * leads to sign-in, history from the server (opened with the identity and the sender keys the
 * profile kept), and the salvaged unsent messages sent exactly once.
 */
import type { ConversationEvent } from '../../../sync/protocol/frames.js';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserApp, type BrowserApp } from '../../../main/browser/browser-app.js';
import { MIRROR_KEY_FILE } from '../../../main/common/mirror-key-file.js';
import type { BridgeServerFrame } from '../../../sync/app-api/bridge-frames.js';
import type { AppCallResult } from '../../../sync/app-api/dispatcher.js';
import { wsText } from '../../../sync/node/ws-text.js';
import { createClientHarness, eventually, FaultyTransport } from '../../support/client-harness.js';
import { acceptedBy, online } from '../../support/people.js';
import { createServerHarness, type TestServer } from '../../support/server-harness.js';
import { openBridgeSession } from './fixtures/bridge-session.js';
import { buildTestDist } from './fixtures/build-dist.js';

const harness = createServerHarness();
const clients = createClientHarness();
let distDir: string;
let removeDist: () => void;
let tempDir: string;
let server: TestServer;
const apps: BrowserApp[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'mirror-recovery-'));
  ({ distDir, remove: removeDist } = await buildTestDist());
  server = await harness.startServer();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await clients.cleanup();
});

afterAll(async () => {
  await harness.cleanup();
  rmSync(tempDir, { recursive: true, force: true });
  removeDist?.();
});

async function start(profileDir: string): Promise<{ app: BrowserApp; fatal: Error[] }> {
  const fatal: Error[] = [];
  const app = await startBrowserApp({
    port: 0,
    profileDir,
    defaultServerUrl: server.url,
    workerScript: path.join(distDir, 'main', 'core-worker.cjs'),
    rendererDir: path.join(distDir, 'renderer'),
    onFatal: (error) => fatal.push(error),
  });
  apps.push(app);
  return { app, fatal };
}

/** The page's end of the bridge, as the renderer uses it. */
async function bridge(app: BrowserApp): Promise<(method: string, args?: unknown) => Promise<AppCallResult>> {
  const cookie = await openBridgeSession(app.url);
  const ws = new WebSocket(`${app.origin.replace('http', 'ws')}/bridge`, { origin: app.origin, headers: { cookie } });
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waiting = new Map<number, (reply: AppCallResult) => void>();
  ws.on('message', (data) => {
    const frame = JSON.parse(wsText(data)) as BridgeServerFrame;
    if ('id' in frame) waiting.get(frame.id)?.(frame.reply);
  });
  let nextId = 1;
  return (method, args = {}) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, args }));
    });
}

function result(reply: AppCallResult): unknown {
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.result;
}

const DAMAGED_NAME = /^mirror\.damaged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.sqlite$/;

describe('browser app on a mirror that cannot be opened', () => {
  it('starts on a garbage file: recovery state, the file kept under a dated name, the count unknown', async () => {
    const profile = mkdtempSync(path.join(tempDir, 'garbage-'));
    const garbage = 'This is not a database. '.repeat(200);
    writeFileSync(path.join(profile, 'mirror.sqlite'), garbage);

    const { fatal } = await start(profile).then(async ({ app, fatal }) => {
      const call = await bridge(app);
      const state = result(await call('getCoreState')) as { kind: string; recovery: Record<string, unknown> };
      expect(state.kind).toBe('recovery');
      expect(state.recovery).toMatchObject({ problem: 'damaged', recoveredMessages: 0, unrecoverable: null });
      const [moved] = state.recovery.movedTo as string[];
      expect(path.basename(moved!)).toMatch(DAMAGED_NAME);
      expect(readFileSync(moved!, 'utf8')).toBe(garbage);
      expect(existsSync(path.join(profile, 'mirror.sqlite'))).toBe(false);
      // Only what the screen needs answers; the rest waits for Start fresh.
      expect(result(await call('getSession'))).toBeNull();
      const refused = await call('listConversations');
      expect(!refused.ok && refused.error.code).toBe('not_signed_in');
      return { fatal };
    });
    expect(fatal).toEqual([]);

    // Closed on the recovery screen: the next start shows it again rather than an empty app.
    await Promise.all(apps.splice(0).map((running) => running.close()));
    const again = await bridge((await start(profile)).app);
    expect(result(await again('getCoreState'))).toMatchObject({ kind: 'recovery', recovery: { problem: 'damaged' } });
  });

  it('tells a mirror this device has no key for (a lost keychain entry) from a damaged one', async () => {
    const profile = mkdtempSync(path.join(tempDir, 'lost-key-'));
    const first = await bridge((await start(profile)).app);
    expect(result(await first('getCoreState'))).toEqual({ kind: 'ready', diskFull: false, settingsFull: false });
    await Promise.all(apps.splice(0).map((running) => running.close()));
    rmSync(path.join(profile, MIRROR_KEY_FILE));

    const call = await bridge((await start(profile)).app);
    expect(result(await call('getCoreState'))).toMatchObject({
      kind: 'recovery',
      recovery: { problem: 'undecryptable', recoveredMessages: 0, unrecoverable: null },
    });
  });

  it('Start fresh: sign in again, history comes back, salvaged unsent messages are sent exactly once', async () => {
    const { alice, bob, bobSocket, conversation } = await harness.pair(server);
    // Before the crash: Alice's device (a client core whose mirror is plain, as from before
    // encryption at rest; its identity in the profile's account keys file) and Bob's, both sealing
    // what they write. Bob's message reaches Alice's device.
    const profile = await clients.profileDir();
    const network = new FaultyTransport();
    const before = await clients.open(profile, server.url, network);
    await before.logIn({ serverUrl: server.url, username: alice.user.username, password: alice.password });
    await online(before);
    const bobDevice = await clients.open(await clients.profileDir(), server.url);
    await bobDevice.logIn({ serverUrl: server.url, username: bob.user.username, password: bob.password });
    await online(bobDevice);
    await acceptedBy(bobDevice, conversation.id);
    await bobDevice.sendMessage({ conversationId: conversation.id, text: 'History from Bob' });
    await eventually(
      () => before.listMessages({ conversationId: conversation.id }),
      (page) => page.messages.some((message) => message.text === 'History from Bob'),
      'Bob’s message on Alice’s device',
    );

    // The first of Alice's messages reaches the server, but its acknowledgement is lost in the
    // crash; the others never leave her device.
    network.fromServer = (frame) => (frame.type === 'sent' && frame.event.kind === 'envelope' ? 'drop' : 'pass');
    const first = await before.sendMessage({ conversationId: conversation.id, text: 'Text of unsent-1' });
    await eventually(
      () => bobSocket.allEvents(conversation.id),
      (all) => all.some((event) => event.kind === 'envelope' && event.clientId === first.id),
      'the first message on the server',
    );
    network.fromClient = (frame) => (frame.type === 'send_envelope' ? 'drop' : 'pass');
    const unsent = [first.id];
    for (const text of ['Text of unsent-2', 'Text of unsent-3']) {
      unsent.push((await before.sendMessage({ conversationId: conversation.id, text })).id);
    }
    // The sender keys Alice's device holds (Bob's, and her own) are kept sealed with her settings
    // on the server before the crash: a device of hers with the identity opens the history with them.
    const mirrorPath = path.join(profile, 'mirror.sqlite');
    const mirrorFile = new Database(mirrorPath, { readonly: true });
    try {
      const count = (where: string) => mirrorFile.prepare(`SELECT count(*) FROM settings WHERE ${where}`).pluck().get();
      await eventually(
        () => [count("kind = 'sender_key'"), count('pending = 1')],
        ([kept, pending]) => kept === 2 && pending === 0,
        'the sender keys kept with the settings',
      );
    } finally {
      mirrorFile.close();
    }
    await before.close();

    // Its mirror's first 16 bytes torn by the crash.
    const fd = openSync(mirrorPath, 'r+');
    writeSync(fd, Buffer.from('torn by a crash!'), 0, 16, 0);
    closeSync(fd);

    const { app, fatal } = await start(profile);
    const call = await bridge(app);
    const state = result(await call('getCoreState')) as { kind: string; recovery: { movedTo: string[] } };
    expect(state).toMatchObject({ kind: 'recovery', recovery: { problem: 'damaged', recoveredMessages: 3, unrecoverable: 0 } });
    expect(state.recovery.movedTo.map((file) => path.basename(file))[0]).toMatch(DAMAGED_NAME);

    expect(result(await call('startFresh'))).toBeNull();
    expect(result(await call('getCoreState'))).toEqual({ kind: 'ready', diskFull: false, settingsFull: false });
    expect(result(await call('getSession'))).toBeNull();
    expect(existsSync(state.recovery.movedTo[0]!)).toBe(true);

    await call('logIn', { serverUrl: server.url, username: alice.user.username, password: alice.password }).then(result);
    // The first is the envelope the server stored before the crash; the others are sent now.
    const idOf = (event: ConversationEvent) => (event.kind === 'envelope' ? event.clientId : null);
    const events = await eventually(
      () => bobSocket.allEvents(conversation.id),
      (all) => unsent.every((id) => all.some((event) => idOf(event) === id)),
      'the salvaged messages on the server',
    );
    for (const id of unsent) expect(events.filter((event) => idOf(event) === id)).toHaveLength(1);
    expect(events.filter((event) => event.senderId === alice.user.id).map(idOf)).toEqual(unsent);
    const page = await eventually(
      async () =>
        result(await call('listMessages', { conversationId: conversation.id })) as {
          messages: { text: string; seq: number | null }[];
        },
      (shown) => shown.messages.length === 4 && shown.messages.every((message) => message.seq !== null),
      'history and the sent messages in the new mirror',
      30_000,
    );
    expect(page.messages.map((message) => message.text)).toEqual([
      'History from Bob',
      'Text of unsent-1',
      'Text of unsent-2',
      'Text of unsent-3',
    ]);
    expect(fatal).toEqual([]);
  }, 60_000);
});
