/**
 * Hostile calls on the app API between renderer and core, property-based: random and malformed
 * arguments for every method, unknown method names, and valid-shaped calls aimed at things that do
 * not exist. They go to a REAL client core (its own profile, signed in on a real test server)
 * through each way in: the dispatcher itself, the browser host's loopback bridge, and the Electron
 * preload (with a stub ipcRenderer that structured-clones like IPC; electron itself is never
 * loaded). Every malformed call must come back `{ ok: false, error: { code: 'invalid_argument' } }`
 * (never a throw, never `internal`), and the mirror must hold exactly the same bytes afterwards.
 *
 * Reproduce a failure with the seed fast-check prints: FUZZ_SEED=<seed> npx vitest run <this file>.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../../main/browser/browser-host.js';
import { BRIDGE_MAX_FRAME_BYTES, BRIDGE_PATH, type BridgeServerFrame } from '../../../sync/app-api/bridge-frames.js';
import type { AppTransport } from '../../../sync/app-api/client.js';
import { APP_API_METHODS, appApiArgs, type AppApiMethod } from '../../../sync/app-api/contract.js';
import { createAppDispatcher, type AppCallResult } from '../../../sync/app-api/dispatcher.js';
import { LANGUAGES, MAX_DEVICE_ID_LENGTH, THEMES } from '../../../sync/app-api/preferences.js';
import { MIRROR_FILE } from '../../../sync/client/client-core.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { openSnapshotReader, type DbSnapshot, type SnapshotReader } from '../../support/db-snapshot.js';
import { devicesPublished, person, settled, type Person } from '../../support/people.js';
import { wsText } from '../../../sync/node/ws-text.js';
import { MAX_COPY_CHARS } from '../../../preload/allowed-methods.js';
import { openBridgeSession } from '../hosts/fixtures/bridge-session.js';
import {
  createServerHarness,
  DEFAULT_TEST_PASSWORD,
  listedConversation,
  type TestAccount,
  type TestClient,
  type TestServer,
} from '../../support/server-harness.js';
import {
  arbitraryText,
  fuzzParams,
  fuzzTimeout,
  hostileValue,
  junkString,
  validEmoji,
  validId,
  validText,
} from './hostile-input.js';

// The preload imports `electron`; here it gets a stand-in whose ipcRenderer.invoke clones the
// arguments the way IPC does (and fails the same way on what cannot be cloned), then hands them
// to whatever `preloadStubs.main` is: the dispatcher, as the main process would via the core.
const preloadStubs = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  main: null as null | ((method: unknown, args: unknown) => Promise<unknown>),
  /** What reached a channel other than the app API's. */
  elsewhere: [] as unknown[][],
}));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => preloadStubs.exposed.set(key, api) },
  ipcRenderer: {
    invoke: async (channel: string, method: unknown, args: unknown) => {
      if (channel !== 'app-api:invoke') {
        preloadStubs.elsewhere.push([channel, method]);
        throw new Error(`unexpected channel ${channel}`);
      }
      const [clonedMethod, clonedArgs] = structuredClone<[unknown, unknown]>([method, args]);
      return preloadStubs.main!(clonedMethod, clonedArgs);
    },
    on: () => undefined,
    removeListener: () => undefined,
  },
}));

const PROPERTY_TIMEOUT_MS = fuzzTimeout(120_000);
const servers = createServerHarness();
const clients = createClientHarness();
let server: TestServer;
let alice: Person;
let bob: TestAccount;
let bobSocket: TestClient;
let bobCore: TestCore;
let conversationId: string;
let ownMessageId: string;
let bobMessageId: string;
let mirror: SnapshotReader;
let dispatch: (method: unknown, args: unknown) => Promise<AppCallResult>;
let rendererDir: string;
const knownIds = new Set<string>();

/** Waits until the mirror stops changing (receipts and watermarks settle after each message). */
async function quietMirror(): Promise<DbSnapshot> {
  let last = JSON.stringify(mirror.snapshot());
  let stableFor = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = JSON.stringify(mirror.snapshot());
    stableFor = now === last ? stableFor + 1 : 0;
    last = now;
    if (stableFor >= 4) return mirror.snapshot();
  }
}

beforeAll(async () => {
  server = await servers.startServer();
  alice = await person(clients, server, `alice-${process.pid}`);
  bob = await servers.createAccount(server, { username: `bob-${process.pid}` });
  bobSocket = await servers.connect(server, bob.token);
  // Bob on a device too (it makes his account's identity), with his keys published before Alice
  // seals anything: the server holds only what is sealed, his device shows what she wrote, and
  // writes the message of his that hers opens. (Writing accepts her conversation: his device's
  // receipts reach her mirror too, and are waited out below.)
  bobCore = (await person(clients, server, bob.user.username, { existing: true })).core;
  await devicesPublished(server, bob.user.id, 1);
  conversationId = (await alice.core.startConversation({ username: bob.user.username })).id;
  await bobSocket.waitForPush('conversation_added');
  ownMessageId = (await alice.core.sendMessage({ conversationId, text: 'hello bob' })).id;
  await settled(alice.core, conversationId);
  await eventually(
    () => bobCore.listMessages({ conversationId }),
    (page) => page.messages.some((message) => message.id === ownMessageId),
    "alice's message on bob's device",
  );
  bobMessageId = (await bobCore.sendMessage({ conversationId, text: 'hi alice' })).id;
  await settled(bobCore, conversationId);
  await eventually(
    () => alice.core.listMessages({ conversationId }),
    (page) => page.messages.some((message) => message.id === bobMessageId),
    "bob's message in alice's mirror",
  );
  // alice's core tells the server it got bob's message; wait until that round trip is over.
  const aliceId = (await alice.core.getSession())!.user.id;
  const { lastSeq } = (await listedConversation(bobSocket, conversationId))!;
  await bobSocket.waitForPush('watermark', (push) => push.userId === aliceId && push.deliveredSeq >= lastSeq);
  for (const id of [conversationId, ownMessageId, bobMessageId]) knownIds.add(id);
  mirror = openSnapshotReader(join(alice.profileDir, MIRROR_FILE));
  await quietMirror();
  dispatch = createAppDispatcher(alice.core);
  rendererDir = mkdtempSync(join(tmpdir(), 'fuzz-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Messenger</title>');
}, 60_000);

afterAll(async () => {
  mirror?.close();
  await clients.cleanup();
  await servers.cleanup();
  if (rendererDir) rmSync(rendererDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Calls

const conversation = () => fc.constant(conversationId);
const message = () => fc.constantFrom(ownMessageId, bobMessageId);
const callId = () => fc.stringMatching(/^[0-9a-f]{32}$/);
const deviceChoice = fc.option(fc.string({ minLength: 1, maxLength: MAX_DEVICE_ID_LENGTH }), { nil: null });

/** A valid argument object for each method; the type makes a method without one a compile error. */
function validArgs(): { [M in AppApiMethod]: fc.Arbitrary<Record<string, unknown>> } {
  const text = validText;
  return {
    getDefaults: fc.constant({}),
    getSession: fc.constant({}),
    createAccount: fc.constant({
      serverUrl: server.url,
      username: 'somebody-new',
      displayName: 'Somebody',
      password: DEFAULT_TEST_PASSWORD,
    }),
    logIn: fc.constant({ serverUrl: server.url, username: bob.user.username, password: DEFAULT_TEST_PASSWORD }),
    logOut: fc.constant({}),
    listSessions: fc.constant({}),
    endSession: fc.record({ sessionId: fc.constantFrom('0'.repeat(32), 'not-a-session') }),
    endOtherSessions: fc.constant({}),
    // Never the right current password: the fuzz keeps its account.
    changePassword: fc.record({ currentPassword: fc.constant('not the password'), newPassword: fc.constant('another password') }),
    getConnectionState: fc.constant({}),
    listConversations: fc.constant({}),
    startConversation: fc.constant({ username: bob.user.username }),
    findUser: fc.constant({ username: bob.user.username }),
    createGroup: fc.record({ name: fc.constantFrom('Trip', 'Book club'), memberIds: fc.constant([bob.user.id]) }),
    getConversationInfo: fc.record({ conversationId: conversation() }),
    addMembers: fc.record({ conversationId: conversation(), userIds: fc.constant([bob.user.id]) }),
    removeMember: fc.record({ conversationId: conversation(), userId: fc.constant(bob.user.id) }),
    leaveGroup: fc.record({ conversationId: conversation() }),
    renameGroup: fc.record({ conversationId: conversation(), name: fc.constant('Renamed') }),
    setRole: fc.record({
      conversationId: conversation(),
      userId: fc.constant(bob.user.id),
      role: fc.constantFrom('admin', 'member'),
    }),
    getMessageInfo: fc.record({ conversationId: conversation(), messageId: message() }),
    listMessages: fc.record(
      { conversationId: conversation(), limit: fc.integer({ min: 1, max: 1000 }) },
      { requiredKeys: ['conversationId'] },
    ),
    sendMessage: fc.record(
      { conversationId: conversation(), text, replyTo: message() },
      { requiredKeys: ['conversationId', 'text'] },
    ),
    retryMessage: fc.record({ messageId: message() }),
    discardMessage: fc.record({ messageId: message() }),
    markRead: fc.record(
      { conversationId: conversation(), upToSeq: fc.integer({ min: 0, max: 1000 }) },
      { requiredKeys: ['conversationId'] },
    ),
    editMessage: fc.record({ conversationId: conversation(), messageId: message(), text }),
    deleteMessage: fc.record({ conversationId: conversation(), messageId: message() }),
    setReaction: fc.record({ conversationId: conversation(), messageId: message(), emoji: validEmoji, on: fc.boolean() }),
    sendPoll: fc.record({
      conversationId: conversation(),
      question: text,
      options: fc.constantFrom(['Yes', 'No'], ['Tea', 'Coffee', 'Water']),
      multiple: fc.boolean(),
    }),
    votePoll: fc.record({ conversationId: conversation(), messageId: message(), choices: fc.constantFrom([], [0], [1], [0, 1]) }),
    endPoll: fc.record({ conversationId: conversation(), messageId: message() }),
    sendLocation: fc.record({
      conversationId: conversation(),
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
      lon: fc.double({ min: -180, max: 180, noNaN: true }),
      name: fc.constantFrom('', 'Harbour', 'Café on the corner'),
      liveForMs: fc.constantFrom(undefined, 900_000, 3_600_000),
    }),
    reportLiveLocation: fc.record({
      conversationId: conversation(),
      messageId: message(),
      lat: fc.constant(1.5),
      lon: fc.constant(-2),
    }),
    stopLiveLocation: fc.record({ conversationId: conversation(), messageId: message() }),
    liveLocationsSharedHere: fc.constant({}),
    makeMapSnapshot: fc.record({
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
      lon: fc.double({ min: -180, max: 180, noNaN: true }),
    }),
    setDisappearingTimer: fc.record({
      conversationId: conversation(),
      timerMs: fc.constantFrom(null, 30_000, 604_800_000),
    }),
    setDisappearingPolicy: fc.record({ conversationId: conversation(), everyone: fc.boolean() }),
    // The fuzz server has no GIF provider: every search and GIF is refused in words, never a crash.
    searchGifs: fc.record({
      query: fc.string({ minLength: 1, maxLength: 20 }).filter((q) => q.trim() !== ''),
      offset: fc.nat(4_999),
    }),
    storeGif: fc.record({ id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) }),
    // Pictures not in the store, packs not installed, messages that are no stickers: refused, never a crash.
    createStickerPack: fc.record({
      name: fc.string({ minLength: 1, maxLength: 10 }),
      stickers: fc.array(fc.record({ sha256: fc.stringMatching(/^[0-9a-f]{64}$/) }), { minLength: 1, maxLength: 3 }),
    }),
    listStickerPacks: fc.constant({}),
    sendSticker: fc.record({
      conversationId: conversation(),
      packId: fc.stringMatching(/^[0-9a-f]{32}$/),
      stickerId: fc.stringMatching(/^[0-9a-f]{32}$/),
    }),
    addStickerPack: fc.record({ conversationId: conversation(), messageId: message() }),
    getEditHistory: fc.record({ conversationId: conversation(), messageId: message() }),
    retryChange: fc.record({ changeId: validId }),
    discardChange: fc.record({ changeId: validId }),
    listOutbox: fc.constant({}),
    retryOutboxItem: fc.record({ id: validId }),
    discardOutboxItem: fc.record({ id: validId }),
    setTyping: fc.record({ conversationId: conversation() }),
    getActivity: fc.record({ conversationId: conversation() }),
    searchMessages: fc.record({ query: fc.string({ maxLength: 200 }) }),
    forwardMessage: fc.record({
      conversationId: conversation(),
      messageId: message(),
      toConversationIds: fc.array(conversation(), { minLength: 1, maxLength: 3 }),
    }),
    getAttachmentLimits: fc.constant({}),
    downloadAttachment: fc.record({
      conversationId: conversation(),
      messageId: message(),
      index: fc.integer({ min: 0, max: 9 }),
    }),
    pinMessage: fc.record({ conversationId: conversation(), messageId: message(), on: fc.boolean() }),
    listPinnedMessages: fc.record({ conversationId: conversation() }),
    setArchived: fc.record({ conversationId: conversation(), archived: fc.boolean() }),
    setMuted: fc.record({ conversationId: conversation(), muted: fc.boolean() }),
    setDraft: fc.record(
      { conversationId: conversation(), text, replyTo: fc.option(message(), { nil: null }) },
      { requiredKeys: ['conversationId', 'text'] },
    ),
    getDraft: fc.record({ conversationId: conversation() }),
    setBlocked: fc.record({ userId: fc.constant(bob.user.id), blocked: fc.boolean() }),
    listBlocked: fc.constant({}),
    getPrivacySettings: fc.constant({}),
    setShowOnline: fc.record({ showOnline: fc.constantFrom('everyone' as const, 'nobody' as const) }),
    setGroupAdds: fc.record({ groupAdds: fc.constantFrom('everyone' as const, 'contacts' as const) }),
    answerRequest: fc.record({
      conversationId: conversation(),
      answer: fc.constantFrom('accept' as const, 'delete' as const, 'block' as const),
    }),
    getPreferences: fc.constant({}),
    // At least one of them: an empty change is not valid, so dropping the theme breaks the call.
    setPreferences: fc.record(
      {
        theme: fc.constantFrom(...THEMES),
        language: fc.constantFrom(...LANGUAGES, 'system' as const),
        notificationPreviews: fc.boolean(),
        workOffline: fc.boolean(),
        // A device id the browser would give, or null for the system default.
        microphoneId: deviceChoice,
        cameraId: deviceChoice,
        speakerId: deviceChoice,
        // No tile server, or one that is not there: a snapshot is refused in words, never a crash.
        mapTileUrl: fc.constantFrom(null, 'http://127.0.0.1:1/{z}/{x}/{y}.png'),
      },
      { requiredKeys: ['theme'] },
    ),
    fetchLinkPreview: fc.record({ url: fc.constant('http://127.0.0.1:1/') }),
    getCoreState: fc.constant({}),
    startFresh: fc.constant({}),
    getAbout: fc.constant({}),
    getUnsavedRecoveryKey: fc.constant({}),
    confirmRecoveryKeySaved: fc.constant({}),
    revealRecoveryKey: fc.record({ password: fc.constantFrom('not the password', 'correct horse battery staple') }),
    getLinkState: fc.constant({}),
    startNewIdentity: fc.constant({}),
    retryHistoryTransfer: fc.constant({}),
    describeLinkCode: fc.record({ code: fc.oneof(fc.string({ maxLength: 80 }), fc.constant(`2-${'A'.repeat(44)}`)) }),
    linkDevice: fc.record({ code: fc.oneof(fc.string({ maxLength: 80 }), fc.constant(`2-${'A'.repeat(44)}`)) }),
    getSafetyNumber: fc.record({ userId: fc.constantFrom(bob.user.id, 'nobody') }),
    setIdentityVerified: fc.record({
      userId: fc.constant(bob.user.id),
      identityKey: fc.constant(Buffer.alloc(33, 5).toString('base64')),
      verified: fc.boolean(),
    }),
    getIdentityChanges: fc.record({ conversationId: conversation() }),
    confirmIdentityChanges: fc.record({ conversationId: conversation() }),
    restoreFromRecoveryKey: fc.record({ recoveryKey: fc.constantFrom('not a recovery key', 'a'.repeat(64)) }),
    startCall: fc.record({ conversationId: conversation(), media: fc.constantFrom('audio' as const, 'video' as const) }),
    acceptCall: fc.record({ callId: callId(), media: fc.constantFrom('audio' as const, 'video' as const) }),
    declineCall: fc.record({ callId: callId() }),
    hangUpCall: fc.record({ callId: callId() }),
    dismissCall: fc.record({ callId: callId() }),
    getCall: fc.constant({}),
    sendCallNegotiation: fc.record({
      callId: callId(),
      negotiation: fc.constantFrom(
        { kind: 'description' as const, type: 'offer' as const, sdp: 'v=0' },
        { kind: 'candidates' as const, candidates: [{ candidate: '', sdpMid: '0', sdpMLineIndex: 0 }] },
      ),
    }),
    reportCallMedia: fc.record({
      callId: callId(),
      status: fc.constantFrom('connected' as const, 'disconnected' as const, 'failed' as const),
    }),
    setCallSending: fc.record({
      callId: callId(),
      sending: fc.record({ audio: fc.boolean(), video: fc.boolean(), screen: fc.boolean() }),
    }),
    getCallIceServers: fc.constant({}),
    joinGroupCall: fc.record({ conversationId: conversation(), media: fc.constantFrom('audio' as const, 'video' as const) }),
    leaveGroupCall: fc.record({ callId: callId() }),
    getGroupCalls: fc.constant({}),
    sendGroupCallNegotiation: fc.record({
      callId: callId(),
      participantKey: fc.constantFrom(`${bob.user.id}.1#1`, 'nobody.1#1', 'nobody'),
      negotiation: fc.constant({ kind: 'description' as const, type: 'offer' as const, sdp: 'v=0' }),
    }),
    setGroupCallSending: fc.record({
      callId: callId(),
      sending: fc.record({ audio: fc.boolean(), video: fc.boolean(), screen: fc.boolean() }),
    }),
  };
}

/** Values the structured clone of IPC carries but JSON does not. */
const cloneableOddity: fc.Arbitrary<unknown> = fc.anything({
  maxDepth: 2,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withObjectString: true,
});

function isValidCall(method: unknown, args: unknown): boolean {
  return (
    typeof method === 'string' &&
    (APP_API_METHODS as string[]).includes(method) &&
    appApiArgs[method as AppApiMethod].safeParse(args ?? {}).success
  );
}

/**
 * (method, args) pairs the dispatcher must refuse: a known method with its valid arguments broken
 * (a field dropped, given a hostile value, an extra field, or the whole object replaced), or a
 * method that does not exist. `jsonOnly` keeps to what JSON can carry (the bridge).
 */
function malformedCall(jsonOnly: boolean): fc.Arbitrary<{ method: unknown; args: unknown }> {
  const odd = jsonOnly ? hostileValue : fc.oneof(hostileValue, cloneableOddity);
  const valid = validArgs();
  const broken = fc.constantFrom(...APP_API_METHODS).chain((method) =>
    valid[method].chain((args) => {
      const keys = [...Object.keys(args), 'extra', '__proto__', 'constructor', 'toString'];
      const fieldChange = fc.tuple(fc.constantFrom(...keys), fc.option(odd, { nil: undefined, freq: 4 }));
      return fc.oneof(
        {
          weight: 4,
          arbitrary: fc.array(fieldChange, { minLength: 1, maxLength: 3 }).map((changes) => {
            const copy: Record<string, unknown> = { ...args };
            for (const [key, value] of changes) {
              if (value === undefined) delete copy[key];
              else Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
            }
            return { method: method, args: copy };
          }),
        },
        { weight: 1, arbitrary: odd.map((args) => ({ method: method, args })) },
      );
    }),
  );
  const unknownMethod = fc
    .record({
      method: fc.oneof(
        fc.string({ maxLength: 30 }),
        junkString({ maxLength: 10 }),
        fc.constantFrom(
          'constructor',
          '__proto__',
          'toString',
          'hasOwnProperty',
          'valueOf',
          'then',
          'close',
          'subscribe',
          'emit',
          'mirror',
          'engine',
          'self',
          'composer',
          'adopt',
          'startEngine',
          'requireConversation',
          ' getDefaults',
          'getDefaults\u0000',
          'GETDEFAULTS',
          'logout',
          '',
        ),
        jsonOnly ? hostileValue : fc.oneof(hostileValue, cloneableOddity),
      ),
      args: fc.oneof(fc.constant({}), odd),
    })
    .filter(({ method }) => !(typeof method === 'string' && (APP_API_METHODS as string[]).includes(method)));
  return fc
    .oneof({ weight: 4, arbitrary: broken }, { weight: 1, arbitrary: unknownMethod })
    .filter(({ method, args }) => !isValidCall(method, args));
}

function expectInvalidArgument(result: unknown, call: unknown): void {
  expect(result, `call ${describeCall(call)}`).toEqual({
    ok: false,
    error: { code: 'invalid_argument', message: expect.any(String) as unknown },
  });
}

function describeCall(call: unknown): string {
  try {
    return fc.stringify(call);
  } catch {
    return '(unprintable)';
  }
}

/** Runs `body`; afterwards the mirror holds the same bytes and the core announced no change. */
async function changesNothing(body: () => Promise<void>): Promise<void> {
  const before = mirror.snapshot();
  const events = alice.core.events.length;
  await body();
  expect(alice.core.events.slice(events).filter((event) => event.type !== 'activity')).toEqual([]);
  expect(mirror.snapshot()).toEqual(before);
  expect(server.logged).toEqual([]);
}

describe('the app API under hostile calls', () => {
  it('has valid arguments for every method to break', () => {
    expect(Object.keys(validArgs()).sort()).toEqual([...APP_API_METHODS].sort());
    for (const method of APP_API_METHODS) {
      const [sample] = fc.sample(validArgs()[method], { numRuns: 1, seed: 1 });
      expect(appApiArgs[method].safeParse(sample).success, method).toBe(true);
    }
  });

  it(
    'the dispatcher answers malformed arguments and unknown methods with invalid_argument, never throws, and changes nothing',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(malformedCall(false), { minLength: 1, maxLength: 5 }), async (calls) => {
          await changesNothing(async () => {
            for (const call of calls) expectInvalidArgument(await dispatch(call.method, call.args), call);
          });
        }),
        fuzzParams(1500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('the dispatcher answers objects that fight back (throwing getters, proxies, odd method names) with invalid_argument', async () => {
    const throwing = () => {
      throw new Error('gotcha');
    };
    const hostileArgs: unknown[] = [
      Object.defineProperty({}, 'conversationId', { get: throwing, enumerable: true }),
      new Proxy(
        {},
        { get: throwing, ownKeys: throwing, getOwnPropertyDescriptor: throwing, has: throwing, getPrototypeOf: throwing },
      ),
      (() => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      })(),
    ];
    const hostileMethods: unknown[] = [
      Object.create(null),
      { toString: throwing },
      Symbol('listMessages'),
      new Proxy({}, { get: throwing }),
    ];
    await changesNothing(async () => {
      for (const args of hostileArgs) {
        for (const method of ['listMessages', 'sendMessage', 'getDefaults']) {
          expectInvalidArgument(await dispatch(method, args), { method, args: '(hostile object)' });
        }
      }
      for (const method of hostileMethods) expectInvalidArgument(await dispatch(method, {}), { method: '(hostile object)' });
    });
  });

  it('refuses text and ids with lone surrogates (the mirror could not keep them as given)', async () => {
    await changesNothing(async () => {
      for (const [method, args] of [
        ['sendMessage', { conversationId, text: 'hi \ud800' }],
        ['editMessage', { conversationId, messageId: ownMessageId, text: '\udc00' }],
        [
          'createAccount',
          { serverUrl: server.url, username: 'lone-surrogate', displayName: 'Lone \ud83d', password: DEFAULT_TEST_PASSWORD },
        ],
      ] as const) {
        expectInvalidArgument(await dispatch(method, args), { method, args });
      }
    });
  });

  it(
    'valid-shaped calls aimed at conversations, messages and changes that do not exist are refused with not_found and change nothing',
    async () => {
      const unknown = validId.filter((id) => !knownIds.has(id));
      const known = conversation();
      const aimedAtNothing: fc.Arbitrary<{ method: AppApiMethod; args: Record<string, unknown> }> = fc.oneof(
        ...(['listMessages', 'markRead', 'setTyping', 'getActivity'] as const).map((method) =>
          fc.record({ method: fc.constant(method), args: fc.record({ conversationId: unknown }) }),
        ),
        fc.record({ method: fc.constant('sendMessage' as const), args: fc.record({ conversationId: unknown, text: validText }) }),
        fc.record({
          method: fc.constant('sendMessage' as const),
          args: fc.record({ conversationId: known, text: validText, replyTo: unknown }),
        }),
        ...(['editMessage', 'deleteMessage', 'getEditHistory', 'setReaction'] as const).map((method) =>
          fc.record({
            method: fc.constant(method),
            args: fc
              .record({
                conversationId: fc.oneof(known, unknown),
                messageId: unknown,
                text: validText,
                emoji: validEmoji,
                on: fc.boolean(),
              })
              .map(({ text, emoji, on, ...ids }) => ({
                ...ids,
                ...(method === 'editMessage' ? { text } : method === 'setReaction' ? { emoji, on } : {}),
              })),
          }),
        ),
        ...(['retryMessage', 'discardMessage'] as const).map((method) =>
          fc.record({ method: fc.constant(method), args: fc.record({ messageId: unknown }) }),
        ),
        ...(['retryChange', 'discardChange'] as const).map((method) =>
          fc.record({ method: fc.constant(method), args: fc.record({ changeId: unknown }) }),
        ),
        ...(['retryOutboxItem', 'discardOutboxItem'] as const).map((method) =>
          fc.record({ method: fc.constant(method), args: fc.record({ id: unknown }) }),
        ),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(aimedAtNothing, { minLength: 1, maxLength: 5 }), async (calls) => {
          await changesNothing(async () => {
            for (const call of calls) {
              expect(appApiArgs[call.method].safeParse(call.args).success).toBe(true);
              const result = await dispatch(call.method, call.args);
              // getEditHistory of a message the conversation does not have is simply empty.
              if (call.method === 'getEditHistory' && result.ok) expect(result.result).toEqual([]);
              else
                expect(result, describeCall(call)).toEqual({
                  ok: false,
                  error: { code: 'not_found', message: expect.any(String) as unknown },
                });
            }
          });
        }),
        fuzzParams(500),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'what sendMessage accepts is what the mirror shows and what the other person’s device shows, junk and all',
    async () => {
      await fc.assert(
        fc.asyncProperty(validText, async (text) => {
          const view = await alice.core.sendMessage({ conversationId, text });
          expect(view.text).toBe(text.trim());
          const listed = (await alice.core.listMessages({ conversationId, limit: 5 })).messages.find((m) => m.id === view.id);
          expect(listed?.text).toBe(text.trim());
          // The server holds it sealed: Bob's device opens it.
          const received = await eventually(
            async () => (await bobCore.listMessages({ conversationId, limit: 5 })).messages.find((m) => m.id === view.id),
            (found) => found !== undefined,
            'the message on Bob’s device',
          );
          expect(received?.text).toBe(text.trim());
        }),
        fuzzParams(40),
      );
      await settled(alice.core, conversationId);
      await quietMirror();
    },
    PROPERTY_TIMEOUT_MS,
  );

  describe('through the browser bridge', () => {
    let host: BrowserHost;
    let page: BridgePage;
    let session: string;

    beforeAll(async () => {
      const transport: AppTransport = {
        invoke: (method, args) => dispatch(method, args),
        subscribe: (listener) => alice.core.subscribe(listener),
      };
      host = await startBrowserHost({ port: 0, rendererDir, core: transport });
      session = await openBridgeSession(host.url);
      page = await BridgePage.open(host.port, session);
    });
    afterAll(async () => {
      page?.ws.terminate();
      await host?.close();
    });

    it(
      'answers malformed calls that carry an id with invalid_argument, ignores frames without one, and changes nothing',
      async () => {
        type BridgeAttempt =
          | { kind: 'call'; method: unknown; args: unknown; withArgs: boolean }
          | { kind: 'no-method'; fields: Record<string, unknown> }
          | { kind: 'junk'; text: string }
          | { kind: 'binary'; data: Buffer };
        const attempt: fc.Arbitrary<BridgeAttempt> = fc.oneof(
          {
            weight: 5,
            arbitrary: fc
              .tuple(malformedCall(true), fc.boolean())
              .map(([call, withArgs]) => ({ kind: 'call' as const, ...call, withArgs })),
          },
          {
            weight: 1,
            arbitrary: fc
              .dictionary(fc.constantFrom('args', 'method', 'other'), hostileValue)
              .filter((f) => typeof f.method !== 'string')
              .map((fields) => ({ kind: 'no-method' as const, fields })),
          },
          {
            weight: 2,
            arbitrary: fc
              .oneof(
                arbitraryText,
                fc
                  .record({
                    id: fc.oneof(hostileValue, fc.constantFrom(1.5, '7', Number.MAX_SAFE_INTEGER + 2, -Infinity)),
                    method: fc.constant('getDefaults'),
                    args: fc.constant({}),
                  })
                  .map((f) => JSON.stringify(f)),
              )
              .filter((text) => !hasUsableId(text))
              .map((text) => ({ kind: 'junk' as const, text })),
          },
          // Binary frames are ignored, whatever they hold (even a well-formed call).
          {
            weight: 1,
            arbitrary: fc
              .oneof(
                fc.uint8Array({ maxLength: 500 }).map((bytes) => Buffer.from(bytes)),
                fc.constant(Buffer.from('{"id":1,"method":"logOut","args":{}}')),
              )
              .map((data) => ({ kind: 'binary' as const, data })),
          },
        );
        await fc.assert(
          fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 8 }), async (attempts) => {
            await changesNothing(async () => {
              if (!page.isOpen) page = await BridgePage.open(host.port, session);
              const expected = new Map<number, unknown>();
              const frames = attempts.map((a) => {
                if (a.kind === 'junk') return a.text;
                if (a.kind === 'binary') return { data: a.data, binary: true as const };
                const id = page.nextId();
                if (a.kind === 'no-method') {
                  expected.set(id, a);
                  return JSON.stringify({ ...a.fields, id });
                }
                const frame = JSON.stringify({ id, method: a.method, ...(a.withArgs ? { args: a.args } : {}) });
                // What the host reads is the JSON, not the value: judge that.
                const sent = JSON.parse(frame) as { method: unknown; args?: unknown };
                if (isValidCall(sent.method, sent.args)) return null;
                expected.set(id, a);
                return frame;
              });
              const replies = await page.exchange(frames.filter((frame) => frame !== null));
              for (const [id, frame] of replies) {
                expect(expected.has(id), `unexpected reply ${JSON.stringify(frame)}`).toBe(true);
              }
              for (const id of expected.keys()) {
                expect(replies.has(id), `no reply to call ${id}`).toBe(true);
                expectInvalidArgument(replies.get(id)!.reply, expected.get(id));
              }
            });
          }),
          fuzzParams(400),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(`closes the bridge with 1009 for a frame over ${BRIDGE_MAX_FRAME_BYTES} bytes, and the page can reconnect`, async () => {
      await changesNothing(async () => {
        for (const binary of [false, true]) {
          const oversized = JSON.stringify({
            id: 1,
            method: 'sendMessage',
            args: { conversationId, text: 'x'.repeat(BRIDGE_MAX_FRAME_BYTES) },
          });
          page.ws.send(oversized, { binary });
          expect(await page.closed).toBe(1009);
          page = await BridgePage.open(host.port, session);
          expect(await page.exchange([])).toEqual(new Map());
        }
      });
    });
  });

  describe('through the Electron preload (stub ipcRenderer, no electron)', () => {
    let messenger: { invoke(method: unknown, args: unknown): Promise<AppCallResult> };

    beforeAll(async () => {
      preloadStubs.main = (method, args) => dispatch(method, args);
      await import('../../../preload/preload.js');
      messenger = preloadStubs.exposed.get('messenger') as typeof messenger;
      // The app API, its events, "Export logs" (answered by the main process, takes nothing) and
      // "Copy" (the main process writes the clipboard; the preload passes only text of a sane length),
      // and "asking for the position" (a boolean alone; anything else is not passed on).
      expect(Object.keys(messenger).sort()).toEqual(['askingLocation', 'copyText', 'exportLogs', 'invoke', 'subscribe']);
      const { copyText, askingLocation } = messenger as unknown as {
        copyText: (text: unknown) => Promise<boolean>;
        askingLocation: (on: unknown) => Promise<void>;
      };
      for (const hostile of [{ toString: () => 'key' }, 42, 'k'.repeat(MAX_COPY_CHARS + 1)])
        expect(await copyText(hostile)).toBe(false);
      for (const hostile of [{ valueOf: () => true }, 'true', 1]) await askingLocation(hostile);
      expect(preloadStubs.elsewhere).toEqual([]);
      expect(await messenger.invoke('getConnectionState', undefined)).toEqual({ ok: true, result: 'online' });
    });

    it(
      'answers malformed calls, unknown methods and arguments IPC cannot clone with invalid_argument, and changes nothing',
      async () => {
        const uncloneable = fc.constantFrom<unknown>(
          () => 1,
          Symbol('s'),
          { f: () => 1 },
          [1, () => 2],
          { nested: { deeper: Symbol('x') } },
          new WeakMap(),
        );
        const call = fc.oneof(
          { weight: 4, arbitrary: malformedCall(false) },
          {
            weight: 1,
            arbitrary: fc.record({
              method: fc.constantFrom<unknown>(...APP_API_METHODS),
              args: fc.oneof(
                uncloneable,
                uncloneable.map((value) => ({ conversationId, text: 'hi', value })),
              ),
            }),
          },
        );
        // What reaches the dispatcher is the clone (a null-prototype object comes out a plain one): judge that.
        const stillInvalidOnceCloned = ({ method, args }: { method: unknown; args: unknown }) => {
          try {
            const [m, a] = structuredClone([method, args ?? {}]) as [unknown, unknown];
            return !isValidCall(m, a);
          } catch {
            return true;
          }
        };
        await fc.assert(
          fc.asyncProperty(fc.array(call.filter(stillInvalidOnceCloned), { minLength: 1, maxLength: 5 }), async (calls) => {
            await changesNothing(async () => {
              for (const c of calls) expectInvalidArgument(await messenger.invoke(c.method, c.args), c);
            });
          }),
          fuzzParams(500),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it('answers method names that fight back with invalid_argument', async () => {
      const throwing = () => {
        throw new Error('gotcha');
      };
      await changesNothing(async () => {
        for (const method of [Object.create(null), { toString: throwing }, Symbol('getDefaults')]) {
          expectInvalidArgument(await messenger.invoke(method, {}), { method: '(hostile object)' });
        }
      });
    });
  });
});

function hasUsableId(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return (
      typeof value === 'object' && value !== null && !Array.isArray(value) && Number.isSafeInteger((value as { id?: unknown }).id)
    );
  } catch {
    return false;
  }
}

/** A page's end of the bridge: frames out, replies by id, and a barrier call to know they all arrived. */
class BridgePage {
  private readonly replies = new Map<number, { id: number; reply: AppCallResult }>();
  private wake: (() => void) | null = null;
  private id = 0;
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(wsText(data)) as BridgeServerFrame;
      if ('id' in frame) this.replies.set(frame.id, frame);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  static async open(port: number, sessionCookie: string): Promise<BridgePage> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${BRIDGE_PATH}`, {
      origin: `http://127.0.0.1:${port}`,
      headers: { host: `127.0.0.1:${port}`, cookie: sessionCookie },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new BridgePage(ws);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  nextId(): number {
    return ++this.id;
  }

  /** Sends `frames`, then a harmless call; resolves with every reply that came back by id, the barrier's aside. */
  async exchange(
    frames: ReadonlyArray<string | { data: Buffer; binary: true }>,
  ): Promise<Map<number, { id: number; reply: AppCallResult }>> {
    // Anything still here answered an earlier batch.
    this.replies.clear();
    for (const frame of frames) {
      if (typeof frame === 'string') this.ws.send(frame);
      else this.ws.send(frame.data, { binary: true });
    }
    const barrier = this.nextId();
    this.ws.send(JSON.stringify({ id: barrier, method: 'getConnectionState', args: {} }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to the barrier call')), 10_000);
      this.wake = () => {
        if (!this.replies.has(barrier)) return;
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      this.wake();
    });
    expect(this.replies.get(barrier)!.reply).toEqual({ ok: true, result: 'online' });
    // The host answers calls as they finish; give any stragglers from this batch the same chance.
    await new Promise((resolve) => setImmediate(resolve));
    return new Map([...this.replies].filter(([id]) => id !== barrier));
  }
}
