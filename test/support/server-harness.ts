/**
 * Helpers for integration tests against a real sync server over 127.0.0.1.
 *
 *   const h = createServerHarness();
 *   afterEach(() => h.cleanup());
 *   const server = await h.startServer();
 *   const alice = await h.createAccount(server, { username: 'alice' });
 *   const socket = await h.connect(server, alice.token);
 *   const reply = await socket.call({ type: 'ping' }, 'ok');
 *   const envelope = await socket.send(conversationId, 'm1', 'hello'); // testOpened(envelope) === 'hello'
 *
 * Every frame the server sends is checked against the protocol schema; a violation fails the test.
 * `createServerHarness({ backend })` runs its servers on that store backend (store-backends.ts);
 * without one each server opens SQLite in its data dir itself, as in production.
 */
import { UNCAPPED } from '../../sync/server/store/cap-rules.js';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Clock, Runtime } from '../../sync/common/runtime.js';
import { realRuntime } from '../../sync/node/real-runtime.js';
import {
  ACCOUNTS_PATH,
  SESSIONS_PATH,
  SYNC_PATH,
  serverFrameSchema,
  sessionResponse,
  type ClientFrame,
  type Conversation,
  type ConversationEvent,
  type ErrorReply,
  type PushFrame,
  type ServerFrame,
  type SessionResponse,
  type User,
} from '../../sync/protocol/frames.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import type { AccountLimits } from '../../sync/server/account-limits.js';
import type { FrameRateLimits } from '../../sync/server/connection-rate.js';
import { FRAME_THROTTLE } from '../../sync/server/frame-throttle.js';
import { DEFAULT_HASHING_LIMITS, type PasswordCost } from '../../sync/server/passwords.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';
import { startSyncServer, type RunningServer, type SyncServerOptions } from '../../sync/server/sync-server.js';
import type { StoreBackend, TestDatabase } from './store-backends.js';
import { SYNC_PROTOCOL } from '../../sync/protocol/version.js';
import type { EnvelopeEvent } from '../../sync/protocol/envelope-frames.js';
import type { DisappearingTimerMs } from '../../sync/protocol/disappearing.js';

/** Fast enough for hundreds of sign-ups per test run; never use outside tests. */
export const CHEAP_PASSWORD_COST: PasswordCost = { N: 2 ** 10, r: 8, p: 1 };
export const DEFAULT_TEST_PASSWORD = 'correct horse battery staple';
/**
 * Tests sign many people up from 127.0.0.1 to one server; the limits themselves are tested with
 * their own values (accounts.test.ts).
 */
export const ROOMY_ACCOUNT_LIMITS: AccountLimits = {
  signInFailuresPerUsernameAndAddress: { points: 1_000, seconds: 60 },
  signInFailuresPerUsername: { points: 1_000, seconds: 60 },
  signInsPerAddress: { points: 100_000, seconds: 60 },
  signUpsPerAddress: { points: 100_000, seconds: 60 },
};
/** No connection of a test runs out of frames unless the test says so (connection-rate tests). */
export const ROOMY_FRAME_RATE: FrameRateLimits = { perSecond: 1_000_000, burst: 1_000_000, closeAfterRefused: 1_000_000 };
/**
 * How long a test waits for a reply or push before failing with what it waited for. Under the full
 * suite on two cores a PostgreSQL node's first reply once took over 5 s; a test's own timeout is 20 s.
 */
const DEFAULT_WAIT_MS = 12_000;
/** A socket that does not close by then is cut: cleanup closes many, one after another. */
const SOCKET_CLOSE_WAIT_MS = 5_000;

export type TestServerOptions = Partial<Omit<SyncServerOptions, 'port'>> & { port?: number };

export interface TestServer extends RunningServer {
  dataDir: string;
  /** Everything the server logged through its logger (instead of the console). */
  logged: Array<{ message: string; error: unknown }>;
  /** Every line it logged at any level (errors too), with its fields. */
  logLines: Array<{ level: 'error' | 'warn' | 'info' | 'debug'; message: string; fields?: Record<string, unknown> }>;
  /** The options it was started with, so it can be restarted on the same data. */
  options: TestServerOptions;
  /** The backend database it runs on; undefined without a backend (or with a `store` given). */
  database: TestDatabase | undefined;
}

export interface TestAccount extends SessionResponse {
  password: string;
}

export interface HttpResult {
  status: number;
  body: unknown;
}

/** A client frame without its rid: TestClient picks one. */
export type FrameRequest = ClientFrame extends infer F
  ? F extends ClientFrame
    ? Omit<F, 'rid'> & { rid?: string }
    : never
  : never;
type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

export interface ServerHarness {
  tempDir(): Promise<string>;
  /**
   * Port 0, a fresh temp dir (unless `dataDir` is given), cheap passwords, captured logs; with a
   * backend (and no `store` given), a store on the backend's database for that data dir (a new one
   * the first time).
   */
  startServer(options?: TestServerOptions): Promise<TestServer>;
  /** Closes `server` (and the store the harness gave it) and starts a new one on the same data (on a new port). */
  restart(server: TestServer): Promise<TestServer>;
  /** Unique username by default. Throws unless the server answered 201. */
  createAccount(
    server: Pick<RunningServer, 'httpUrl'>,
    input?: { username?: string; displayName?: string; password?: string },
  ): Promise<TestAccount>;
  /** Opens an authenticated socket and waits for its welcome push. */
  connect(server: Pick<RunningServer, 'url'>, token: string): Promise<TestClient>;
  /** Tries to open a socket that should be refused; resolves with the HTTP status of the refusal. */
  refusedStatus(
    server: Pick<RunningServer, 'url'>,
    headers?: Record<string, string>,
    path?: string,
    protocols?: readonly string[],
  ): Promise<number>;
  /** Two fresh accounts, each with one open socket, and the direct conversation between them. */
  pair(server: TestServer): Promise<Pair>;
  /**
   * Closes clients, servers and their stores, disposes of the backend's databases, deletes temp dirs, and
   * fails if any server frame broke the protocol.
   */
  cleanup(): Promise<void>;
}

export interface Pair {
  alice: TestAccount;
  bob: TestAccount;
  aliceSocket: TestClient;
  bobSocket: TestClient;
  conversation: Conversation;
}

export interface ServerHarnessOptions {
  /** The store backend every server runs on; without one, startSyncServer opens SQLite itself. */
  backend?: StoreBackend;
}

export function createServerHarness({ backend }: ServerHarnessOptions = {}): ServerHarness {
  const dirs: string[] = [];
  const servers = new Set<TestServer>();
  /** By data dir, so a restart finds its database again. */
  const databases = new Map<string, TestDatabase>();
  /** The stores the harness opened: startSyncServer leaves a given store to its owner to close. */
  const storesOf = new Map<TestServer, ServerStore>();
  const clients = new Set<TestClient>();
  let accounts = 0;

  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'messenger-server-test-'));
    dirs.push(dir);
    return dir;
  }

  async function databaseFor(storeBackend: StoreBackend, dataDir: string): Promise<TestDatabase> {
    let database = databases.get(dataDir);
    if (!database) {
      database = await storeBackend.createDatabase(dataDir);
      databases.set(dataDir, database);
    }
    return database;
  }

  async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
    const dataDir = options.dataDir ?? (await tempDir());
    const database = backend && !options.store ? await databaseFor(backend, dataDir) : undefined;
    const ownStore = await database?.open();
    const logged: TestServer['logged'] = [];
    const logLines: TestServer['logLines'] = [];
    let running: RunningServer;
    try {
      running = await startSyncServer({
        passwordCost: CHEAP_PASSWORD_COST,
        accountLimits: ROOMY_ACCOUNT_LIMITS,
        // Suites sign many people up at once from 127.0.0.1; the per-address share has its own test (passwords.test.ts).
        hashingLimits: { ...DEFAULT_HASHING_LIMITS, perAddress: 1_000_000 },
        // The fuzz suites look usernames up, fetch key bundles and send device envelopes by the
        // thousand; typing keeps its real throttle, and the key fetch, envelope and key backup budgets
        // are tested with their own values (key-directory.test.ts, device-inbox.test.ts, key-backup.test.ts).
        frameThrottle: {
          ...FRAME_THROTTLE,
          lookupsPerWindow: 1_000_000,
          keyFetchesPerWindow: 1_000_000,
          keyFetchesPerPersonPerWindow: 1_000_000,
          envelopesPerWindow: 1_000_000,
          backupWritesPerWindow: 1_000_000,
          backupReadsPerWindow: 1_000_000,
        },
        // Tests pipeline thousands of frames at once; the frame budget is tested with its own values.
        frameRate: ROOMY_FRAME_RATE,
        // Suites make many conversations per person; the caps are tested with their own values (caps.test.ts).
        caps: UNCAPPED,
        // Many sockets of one person from 127.0.0.1 (slow readers, fuzzers); the caps have their own test.
        connectionCaps: { perAccount: 1_000_000, perAddress: 1_000_000 },
        logger: {
          error: (message, error, fields) => {
            logged.push({ message, error });
            logLines.push({ level: 'error', message, ...(fields ? { fields } : {}) });
          },
          warn: (message, fields) => logLines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
          info: (message, fields) => logLines.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
          debug: (message, fields) => logLines.push({ level: 'debug', message, ...(fields ? { fields } : {}) }),
        },
        ...options,
        ...(ownStore ? { store: ownStore } : {}),
        port: options.port ?? 0,
        dataDir,
      });
    } catch (error) {
      await ownStore?.close();
      throw error;
    }
    const server: TestServer = { ...running, dataDir, logged, logLines, options: { ...options, dataDir }, database };
    servers.add(server);
    if (ownStore) storesOf.set(server, ownStore);
    return server;
  }

  async function stop(server: TestServer): Promise<void> {
    await server.close();
    servers.delete(server);
    await storesOf.get(server)?.close();
    storesOf.delete(server);
  }

  async function restart(server: TestServer): Promise<TestServer> {
    await stop(server);
    return startServer(server.options);
  }

  async function createAccount(
    server: Pick<RunningServer, 'httpUrl'>,
    input: { username?: string; displayName?: string; password?: string } = {},
  ): Promise<TestAccount> {
    accounts += 1;
    const username = input.username ?? `user${accounts}-${process.pid}`;
    const password = input.password ?? DEFAULT_TEST_PASSWORD;
    const displayName = input.displayName ?? `User ${username}`;
    const result = await postJson(server.httpUrl, ACCOUNTS_PATH, { username, displayName, password });
    if (result.status !== 201) {
      throw new Error(`Creating account ${username} answered ${result.status}: ${JSON.stringify(result.body)}`);
    }
    return { ...sessionResponse.parse(result.body), password };
  }

  async function connect(server: Pick<RunningServer, 'url'>, token: string): Promise<TestClient> {
    const ws = new WebSocket(server.url + SYNC_PATH, [SYNC_PROTOCOL], { headers: { authorization: `Bearer ${token}` } });
    const client = new TestClient(ws);
    clients.add(client);
    await client.opened;
    return client;
  }

  function refusedStatus(
    server: Pick<RunningServer, 'url'>,
    headers: Record<string, string> = {},
    path = SYNC_PATH,
    protocols: readonly string[] = [SYNC_PROTOCOL],
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(server.url + path, [...protocols], { headers });
      ws.on('unexpected-response', (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      });
      ws.on('open', () => {
        ws.terminate();
        reject(new Error('The socket was accepted but should have been refused'));
      });
      ws.on('error', (error) => reject(error));
    });
  }

  async function pair(server: TestServer): Promise<Pair> {
    const alice = await createAccount(server);
    const bob = await createAccount(server);
    const aliceSocket = await connect(server, alice.token);
    const bobSocket = await connect(server, bob.token);
    const { conversation } = await aliceSocket.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    // Bob's socket learns of it by push; waiting here keeps later push assertions unambiguous.
    await bobSocket.waitForPush('conversation_added', (push) => push.conversation.id === conversation.id);
    return { alice, bob, aliceSocket, bobSocket, conversation };
  }

  async function cleanup(): Promise<void> {
    const violations = [...clients].flatMap((client) => client.violations);
    await Promise.all([...clients].map((client) => client.close()));
    clients.clear();
    await Promise.all([...servers].map((server) => stop(server)));
    await Promise.all([...databases.values()].map((database) => database.dispose()));
    databases.clear();
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    if (violations.length > 0) {
      throw new Error(`The server sent frames that break the protocol:\n${violations.join('\n')}`);
    }
  }

  return { tempDir, startServer, restart, createAccount, connect, refusedStatus, pair, cleanup };
}

/**
 * Each of the pair writes a message in their conversation (alice first, then bob, once he has hers):
 * from then on they share presence and typing (presence-rules.ts). Returns once each has heard
 * the other's presence, which bob's first message brought.
 */
export async function bothWrite({ alice, bob, aliceSocket, bobSocket, conversation }: Pair): Promise<void> {
  const first = await aliceSocket.send(conversation.id, randomUUID(), 'Hello');
  await bobSocket.waitForPush('event', (push) => push.event.conversationId === conversation.id && push.event.seq === first.seq);
  const introduced = Promise.all([
    aliceSocket.waitForPush('presence', (push) => push.userId === bob.user.id),
    bobSocket.waitForPush('presence', (push) => push.userId === alice.user.id),
  ]);
  await bobSocket.send(conversation.id, randomUUID(), 'Hi');
  await introduced;
}

/**
 * Waits until the presence steps `server` has queued so far are done, and `socket` has received
 * what they pushed to it. The steps run one after another, and a new connection's own presence
 * frames come from a step queued behind them: so once another connection of `account` hears of
 * `contactId` (who must be their contact), they are done; the barrier then brings in anything they
 * sent to `socket`. After bothWrite, the introduction of whoever wrote first may still be running.
 */
export async function presenceSettled(input: {
  h: Pick<ServerHarness, 'connect'>;
  server: Pick<RunningServer, 'url'>;
  account: TestAccount;
  socket: TestClient;
  contactId: string;
}): Promise<void> {
  const extra = await input.h.connect(input.server, input.account.token);
  await extra.waitForPush('presence', (push) => push.userId === input.contactId);
  await extra.close();
  await input.socket.barrier();
}

/** A clock the test sets by hand, so times the server stores (sentAt, lastSeenAt) are exact. */
export interface ManualClock extends Clock {
  set(ms: number): void;
}

/** The real runtime with a hand-set clock; pass `runtime` to startServer (it survives restart). */
export function manualRuntime(startMs = 1_000_000): { runtime: Runtime; clock: ManualClock } {
  let now = startMs;
  const clock: ManualClock = { now: () => now, set: (ms) => void (now = ms) };
  return { runtime: { ...realRuntime(), clock }, clock };
}

/** POSTs `body` (JSON-encoded unless already a string) and returns status and parsed JSON answer. */
export async function postJson(httpUrl: string, path: string, body: unknown): Promise<HttpResult> {
  const response = await fetch(httpUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Leave non-JSON answers as text; the test will say what it expected.
  }
  return { status: response.status, body: parsed };
}

export async function logIn(httpUrl: string, username: string, password: string): Promise<HttpResult> {
  return postJson(httpUrl, SESSIONS_PATH, { username, password });
}

/** What an envelope may carry beside its sealed text (envelope-frames.ts). */
export interface EnvelopeExtras {
  attachments?: string[];
  deletes?: string;
  after?: string;
  expiresInMs?: DisappearingTimerMs;
}

const TEST_SEAL_PREFIX = 'test-sealed:';

/** Text as a test's envelope carries it: opaque bytes to the server, as a real seal is. */
export function testSealed(text: string): string {
  return Buffer.from(TEST_SEAL_PREFIX + text, 'utf8').toString('base64');
}

/** The text a test envelope carries (testSealed); '' once it was deleted for everyone. */
export function testOpened(event: EnvelopeEvent): string {
  if (event.ciphertext === '') return '';
  const opened = Buffer.from(event.ciphertext, 'base64').toString('utf8');
  if (!opened.startsWith(TEST_SEAL_PREFIX)) throw new Error(`Envelope ${event.clientId} was not sealed by a test`);
  return opened.slice(TEST_SEAL_PREFIX.length);
}

/** The envelopes among a conversation's events. */
export function envelopesIn(events: readonly ConversationEvent[]): EnvelopeEvent[] {
  return events.filter((event): event is EnvelopeEvent => event.kind === 'envelope');
}

interface Waiter<T> {
  matches(frame: T): boolean;
  resolve(frame: T): void;
}

/** A raw authenticated socket that pairs replies with requests and collects pushes. */
export class TestClient {
  /** Every push received, in order (the welcome included). */
  readonly pushes: PushFrame[] = [];
  /** Error replies the server could not attach to a request (frame too broken to read a rid). */
  readonly unmatchedErrors: ErrorReply[] = [];
  /** Frames that failed the protocol schema, as text. */
  readonly violations: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly replies = new Map<string, ServerFrame>();
  private readonly replyWaiters = new Map<string, (frame: ServerFrame) => void>();
  private readonly pushWaiters = new Set<Waiter<PushFrame>>();
  private readonly errorWaiters = new Set<Waiter<ErrorReply>>();
  private nextRid = 0;
  private welcomeUser: User | undefined;
  /** The devices version each conversation's envelopes are sealed for, as the server last said it. */
  private readonly devicesVersions = new Map<string, number>();

  constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (data, isBinary) => {
        this.receive(data, isBinary);
        if (this.welcomeUser) resolve();
      });
      void this.closed.then(({ code }) => reject(new Error(`Socket closed (${code}) before the welcome push`)));
    });
    ws.on('error', () => {
      // Surfaced through `closed`; an unhandled 'error' would crash the test process.
    });
  }

  /** The user named in the welcome push. */
  get user(): User {
    if (!this.welcomeUser) throw new Error('No welcome push received yet');
    return this.welcomeUser;
  }

  /** Sends a frame (rid filled in if absent) and resolves with the reply carrying that rid. */
  request(frame: FrameRequest, timeoutMs = DEFAULT_WAIT_MS): Promise<ServerFrame> {
    const rid = frame.rid ?? `t${++this.nextRid}`;
    const reply = this.waitForReply(rid, timeoutMs);
    this.ws.send(JSON.stringify({ ...frame, rid }));
    return reply;
  }

  /** Like `request`, but fails unless the reply has the given type (an error reply's message is shown). */
  async call<T extends ServerFrame['type']>(
    frame: FrameRequest,
    type: T,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<ServerFrameOf<T>> {
    const reply = await this.request(frame, timeoutMs);
    if (reply.type !== type) {
      throw new Error(`Expected a ${type} reply to ${frame.type}, got ${JSON.stringify(reply)}`);
    }
    return reply as ServerFrameOf<T>;
  }

  /**
   * Stores an envelope as a client would after sealing `text` (testSealed: the server cannot tell
   * it from a real seal) and returns the stored event; fails unless the server answered `sent`.
   * It names the conversation's devices version as a client does, learning it from the refusal of
   * the first envelope that named none (or an older one).
   */
  async send(conversationId: string, clientId: string, text: string, extra: EnvelopeExtras = {}): Promise<EnvelopeEvent> {
    const reply = await this.sendEnvelope(conversationId, clientId, text, extra);
    if (reply.type !== 'sent' || reply.event.kind !== 'envelope') {
      throw new Error(`Expected a sent envelope, got ${JSON.stringify(reply)}`);
    }
    return reply.event;
  }

  /** Like `send`, but answers whatever the server replied (sent, or the error). */
  async sendEnvelope(conversationId: string, clientId: string, text: string, extra: EnvelopeExtras = {}): Promise<ServerFrame> {
    const frame = {
      type: 'send_envelope',
      conversationId,
      clientId,
      ciphertext: testSealed(text),
      ...(extra.attachments ? { attachments: extra.attachments } : {}),
      ...(extra.deletes ? { deletes: extra.deletes } : {}),
      ...(extra.after ? { after: extra.after } : {}),
      ...(extra.expiresInMs ? { expiresInMs: extra.expiresInMs } : {}),
    } as const;
    for (let attempt = 0; ; attempt += 1) {
      const devicesVersion = this.devicesVersions.get(conversationId);
      const reply = await this.request({ ...frame, ...(devicesVersion === undefined ? {} : { devicesVersion }) });
      const devices = reply.type === 'error' && reply.reason === 'conversation_devices_changed' ? reply.devices : undefined;
      if (!devices || attempt > 0) return reply;
      this.devicesVersions.set(conversationId, devices.version);
    }
  }

  /** The whole log of a conversation, read page by page through catch-up. */
  async allEvents(conversationId: string): Promise<ConversationEvent[]> {
    const events: ConversationEvent[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await this.call({ type: 'catch_up', conversationId, afterSeq, limit: LIMITS.maxCatchUpPage }, 'events');
      events.push(...page.events);
      if (!page.hasMore) return events;
      // Past the last event, or past what the page skipped (events hidden from this reader).
      afterSeq = page.events.at(-1)?.seq ?? page.skippedTo ?? afterSeq;
    }
  }

  /** Sends anything at all, unchecked (for malformed-frame tests). */
  sendRaw(data: string | Buffer, options: { binary?: boolean } = {}): void {
    this.ws.send(data, { binary: options.binary ?? typeof data !== 'string' });
  }

  waitForReply(rid: string, timeoutMs = DEFAULT_WAIT_MS): Promise<ServerFrame> {
    const known = this.replies.get(rid);
    if (known) return Promise.resolve(known);
    return withTimeout(
      new Promise<ServerFrame>((resolve) => this.replyWaiters.set(rid, resolve)),
      timeoutMs,
      `No reply with rid ${rid}`,
    );
  }

  /** The first push (already received or still to come) that matches. */
  waitForPush<T extends PushFrame['type']>(
    type: T,
    matches: (frame: ServerFrameOf<T>) => boolean = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<ServerFrameOf<T>> {
    const test = (frame: PushFrame): boolean => frame.type === type && matches(frame as ServerFrameOf<T>);
    const known = this.pushes.find(test);
    if (known) return Promise.resolve(known as ServerFrameOf<T>);
    return withTimeout(
      new Promise<ServerFrameOf<T>>((resolve) => {
        this.pushWaiters.add({ matches: test, resolve: (frame) => resolve(frame as ServerFrameOf<T>) });
      }),
      timeoutMs,
      `No ${type} push matching the test`,
    );
  }

  pushesOf<T extends PushFrame['type']>(type: T): Array<ServerFrameOf<T>> {
    return this.pushes.filter((frame) => frame.type === type) as Array<ServerFrameOf<T>>;
  }

  /** The next error reply without a rid, counting from the `index`-th one received. */
  waitForUnmatchedError(index: number, timeoutMs = DEFAULT_WAIT_MS): Promise<ErrorReply> {
    const known = this.unmatchedErrors[index];
    if (known) return Promise.resolve(known);
    return withTimeout(
      new Promise<ErrorReply>((resolve) => {
        this.errorWaiters.add({
          matches: () => this.unmatchedErrors.length > index,
          resolve: () => resolve(this.unmatchedErrors[index]!),
        });
      }),
      timeoutMs,
      `No rid-less error #${index + 1}`,
    );
  }

  /**
   * Resolves once the server has answered a ping sent now. Because the server writes pushes
   * before it moves on, anything it sent this socket earlier has arrived by then: after a barrier,
   * "no push arrived" is a fact, not a guess about timing.
   */
  async barrier(): Promise<void> {
    await this.call({ type: 'ping' }, 'ok');
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close(1000);
    await withTimeout(this.closed, SOCKET_CLOSE_WAIT_MS, 'Socket did not close').catch(() => this.ws.terminate());
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    let frame: ServerFrame;
    try {
      if (isBinary) throw new Error('binary frame');
      frame = serverFrameSchema.parse(JSON.parse(text));
    } catch (error) {
      this.violations.push(`${text} (${(error as Error).message})`);
      return;
    }
    if ('rid' in frame && frame.rid !== undefined) {
      this.replies.set(frame.rid, frame);
      this.replyWaiters.get(frame.rid)?.(frame);
      this.replyWaiters.delete(frame.rid);
      return;
    }
    if (frame.type === 'error') {
      this.unmatchedErrors.push(frame);
      this.settle(this.errorWaiters, frame);
      return;
    }
    const push = frame as PushFrame;
    if (push.type === 'welcome') this.welcomeUser = push.user;
    this.pushes.push(push);
    this.settle(this.pushWaiters, push);
  }

  private settle<T>(waiters: Set<Waiter<T>>, frame: T): void {
    for (const waiter of waiters) {
      if (waiter.matches(frame)) {
        waiters.delete(waiter);
        waiter.resolve(frame);
      }
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// Groups (issue 7): helpers for the group tests (test/integration/server/groups.test.ts,
// group-visibility.test.ts, fuzz/authorization.test.ts). Additive block: add group helpers here.
// Types come in through import() so this block needs nothing from the import list above.

type GroupChangeRequest = import('../../sync/protocol/frames.js').GroupChange;
type GroupChangeEventOf = import('../../sync/protocol/frames.js').GroupChangeEvent;

/** A fresh id for a group (a UUID: never shaped like a direct conversation's `dm-…` id). */
export function newGroupId(): string {
  return globalThis.crypto.randomUUID();
}

/** Creates a group as `client`'s user; fails unless answered `conversation`. */
export async function createGroup(client: TestClient, input: { memberIds: string[]; id?: string }): Promise<Conversation> {
  const conversationId = input.id ?? newGroupId();
  const { conversation } = await client.call(
    {
      type: 'create_conversation',
      conversationId,
      conversation: { kind: 'group', memberIds: input.memberIds },
    },
    'conversation',
  );
  return conversation;
}

/** Sends a group change and returns the stored event; fails unless answered `sent`. */
export async function groupChange(
  client: TestClient,
  conversationId: string,
  clientChangeId: string,
  change: GroupChangeRequest,
): Promise<GroupChangeEventOf> {
  const { event } = await client.call({ type: 'group_change', conversationId, clientChangeId, change }, 'sent');
  const kinds: ReadonlyArray<ConversationEvent['kind']> = ['members_added', 'member_removed', 'member_left', 'role_changed'];
  if (!kinds.includes(event.kind)) throw new Error(`A group change was answered with a ${event.kind} event`);
  return event as GroupChangeEventOf;
}

/** A reply without its rid, so replies to two requests can be compared. */
export function withoutRid(frame: ServerFrame): Omit<ServerFrame, 'rid'> {
  const { rid: _rid, ...rest } = frame as ServerFrame & { rid?: string };
  return rest;
}

/** Every conversation list_conversations lists for `client`'s user, page after page. */
export async function listedConversations(client: TestClient): Promise<Conversation[]> {
  const listed: Conversation[] = [];
  let after: string | undefined;
  do {
    const page = await client.call({ type: 'list_conversations', ...(after !== undefined ? { after } : {}) }, 'conversations');
    listed.push(...page.conversations);
    after = page.next;
  } while (after !== undefined);
  return listed;
}

/** The conversation as `client`'s user sees it in list_conversations (undefined when not listed). */
export async function listedConversation(client: TestClient, conversationId: string): Promise<Conversation | undefined> {
  return (await listedConversations(client)).find((conversation) => conversation.id === conversationId);
}

/** What a catch-up from `afterSeq` to the end serves `client`: every page, and the events and skips in order. */
export interface VisibleLog {
  events: ConversationEvent[];
  /** Every `skippedTo` the pages carried, in order. */
  skips: number[];
  users: User[];
  pages: Array<{ afterSeq: number; seqs: number[]; skippedTo: number | undefined; hasMore: boolean }>;
}

/** Catches up page by page like a client: the next page starts after the last event, or at `skippedTo`. */
export async function visibleLog(client: TestClient, conversationId: string, afterSeq = 0, limit?: number): Promise<VisibleLog> {
  const log: VisibleLog = { events: [], skips: [], users: [], pages: [] };
  let cursor = afterSeq;
  for (let page = 0; page < 1_000; page += 1) {
    const reply = await client.call(
      { type: 'catch_up', conversationId, afterSeq: cursor, ...(limit === undefined ? {} : { limit }) },
      'events',
    );
    log.pages.push({
      afterSeq: cursor,
      seqs: reply.events.map((event) => event.seq),
      skippedTo: reply.skippedTo,
      hasMore: reply.hasMore,
    });
    if (reply.skippedTo !== undefined) log.skips.push(reply.skippedTo);
    log.events.push(...reply.events);
    for (const user of reply.users) if (!log.users.some((known) => known.id === user.id)) log.users.push(user);
    const next = reply.events.at(-1)?.seq ?? reply.skippedTo ?? cursor;
    if (!reply.hasMore) return log;
    if (next <= cursor) throw new Error(`catch_up after ${cursor} said hasMore but moved no cursor`);
    cursor = next;
  }
  throw new Error('catch_up did not end within 1,000 pages');
}

/** The pushes `client` received from index `from` on that concern `conversationId` (events, watermarks, typing, conversation_added). */
export function pushesAbout(client: TestClient, conversationId: string, from = 0): PushFrame[] {
  return client.pushes.slice(from).filter((push) => {
    switch (push.type) {
      case 'event':
        return push.event.conversationId === conversationId;
      case 'conversation_added':
        return push.conversation.id === conversationId;
      case 'watermark':
      case 'typing':
        return push.conversationId === conversationId;
      case 'welcome':
      case 'presence':
      case 'settings_changed':
      case 'prekeys_low':
      case 'inbox_push':
      case 'ephemeral_push':
        return false;
    }
  });
}
/** Someone with an account and one open socket. */
export interface SocketPerson {
  account: TestAccount;
  user: User;
  socket: TestClient;
}

/** One account per name (username = name, display name capitalised), each with one open socket. */
export async function people<const N extends string>(
  h: ServerHarness,
  server: TestServer,
  ...names: N[]
): Promise<Record<N, SocketPerson>> {
  const result = {} as Record<N, SocketPerson>;
  for (const name of names) {
    const account = await h.createAccount(server, { username: name, displayName: name[0]!.toUpperCase() + name.slice(1) });
    result[name] = { account, user: account.user, socket: await h.connect(server, account.token) };
  }
  return result;
}

/** A group made by `owner` with `others` as plain members; every member's socket has heard of it. */
export async function groupOf(owner: SocketPerson, others: SocketPerson[]): Promise<Conversation> {
  const conversation = await createGroup(owner.socket, { memberIds: others.map((p) => p.user.id) });
  await Promise.all(
    others.map((p) => p.socket.waitForPush('conversation_added', (push) => push.conversation.id === conversation.id)),
  );
  return conversation;
}

// End of the groups block.
