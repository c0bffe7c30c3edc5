import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_PATH, METRICS_PATH, READY_PATH } from '../../../sync/protocol/frames.js';
import { createPinoLogger } from '../../../sync/server/logger.js';
import { openSqliteServerStore, SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { createServerHarness, logIn, testSealed, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/** A pino logger at debug whose JSON lines land in memory. */
function capturedPino() {
  const chunks: string[] = [];
  const logger = createPinoLogger({ level: 'debug', destination: { write: (text: string) => void chunks.push(text) } });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.length > 0);
  return { logger, lines };
}

/** The value of one series in a Prometheus text exposition (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeEachStore('structured logs', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('are JSON lines with request ids, and never carry a token, password, Authorization header or sealed content', async () => {
    const { logger, lines } = capturedPino();
    const server = await h.startServer({ logger });
    const password = 'pw-SECRET-hunter2-0451';
    const secretText = 'SECRET-MESSAGE-TEXT-swordfish';
    const alice = await h.createAccount(server, { username: 'alice', password });
    const bob = await h.createAccount(server, { username: 'bob', password });
    const signIn = await logIn(server.httpUrl, 'alice', password);
    expect(signIn.status).toBe(200);
    const signInToken = (signIn.body as { token: string }).token;
    expect((await logIn(server.httpUrl, 'alice', `${password}-wrong`)).status).toBe(401);
    expect(await h.refusedStatus(server, { authorization: `Bearer ${alice.token}x` })).toBe(401);

    const socket: TestClient = await h.connect(server, alice.token);
    const { conversation } = await socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    const sent = await socket.request({
      type: 'send_envelope',
      rid: 'send-rid-1',
      conversationId: conversation.id,
      clientId: 'm1',
      ciphertext: testSealed(secretText),
      devicesVersion: await devicesVersionOf(socket, conversation.id),
    });
    expect(sent.type).toBe('sent');
    const refused = await socket.request({ type: 'catch_up', rid: 'refused-rid-1', conversationId: 'nope', afterSeq: 0 });
    expect(refused.type).toBe('error');
    socket.sendRaw(JSON.stringify({ type: 'no_such_frame', rid: 'bad-rid-1', text: secretText }));
    await socket.waitForReply('bad-rid-1');
    await server.close();

    const entries = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.length).toBeGreaterThan(5);
    for (const entry of entries) {
      expect([typeof entry.level, typeof entry.time, typeof entry.msg]).toEqual(['number', 'string', 'string']);
    }
    // Per frame (debug): the connection and the frame's rid, its type and duration.
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 20, msg: 'Handled a frame', conn: 'c1', rid: 'send-rid-1', type: 'send_envelope' }),
    );
    // Refusals and malformed frames (info) keep their rid.
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 30, conn: 'c1', rid: 'refused-rid-1', type: 'catch_up', code: 'not_found' }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 30, msg: 'Refused a malformed frame', conn: 'c1', rid: 'bad-rid-1' }),
    );
    // Per HTTP request: an id, method, path, status and duration.
    const signUps = entries.filter((e) => e.msg === 'HTTP request' && e.path === '/v1/accounts');
    expect(signUps).toHaveLength(2);
    expect(signUps[0]).toMatchObject({ level: 30, method: 'POST', status: 201 });
    expect(signUps[0]!.req).toMatch(/^h\d+$/);
    expect(typeof signUps[0]!.ms).toBe('number');
    expect(entries).toContainEqual(expect.objectContaining({ path: '/v1/sessions', status: 401 }));
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'Refused a socket', status: 401 }));

    const secrets = [
      password,
      secretText,
      testSealed(secretText),
      alice.token,
      bob.token,
      signInToken,
      'Bearer',
      'hunter2',
      'swordfish',
    ];
    for (const line of lines()) for (const secret of secrets) expect(line).not.toContain(secret);
  });

  it('redacts secret-looking keys even if a call passes them', () => {
    const { logger, lines } = capturedPino();
    logger.info('careless', { token: 'tok-123', password: 'pw-123', text: 'hello', authorization: 'Bearer x' });
    const [line] = lines();
    expect(JSON.parse(line!)).toMatchObject({ token: '[redacted]', password: '[redacted]', text: '[redacted]' });
    expect(line).not.toMatch(/tok-123|pw-123|hello|Bearer/);
  });

  it('keeps per-frame lines out of the default info level', async () => {
    const chunks: string[] = [];
    const logger = createPinoLogger({ destination: { write: (text: string) => void chunks.push(text) } });
    const server = await h.startServer({ logger });
    const { aliceSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'hello');
    expect(chunks.join('')).not.toContain('Handled a frame');
    expect(chunks.join('')).toContain('"msg":"HTTP request"');
  });
});

describeEachStore('GET /metrics', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('exposes connections, frames by type, send latency, catch-up and HTTP counters, and they move', async () => {
    const server = await h.startServer();
    const scrape = async () => {
      const response = await fetch(server.httpUrl + METRICS_PATH);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      return response.text();
    };
    const before = await scrape();
    expect(sample(before, 'sync_connections_open')).toBe(0);
    expect(sample(before, 'sync_frames_received_total{type="send_envelope"}')).toBe(0);
    expect(before).toContain('process_cpu_user_seconds_total');
    expect(before).toContain('nodejs_eventloop_lag_seconds');

    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    expect(sample(await scrape(), 'sync_connections_open')).toBe(2);
    for (let i = 0; i < 3; i += 1) await aliceSocket.send(conversation.id, `m${i}`, `hello ${i}`);
    await aliceSocket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'events');
    aliceSocket.sendRaw('not json');
    expect((await aliceSocket.waitForUnmatchedError(0)).code).toBe('bad_frame');
    await fetch(`${server.httpUrl}/v1/attachments/some-unknown-id-123`);
    await fetch(`${server.httpUrl}/no/such/path-456?x=1`);

    const after = await scrape();
    // The three envelopes and the one the harness sent first to learn the devices version (refused: no latency).
    expect(sample(after, 'sync_frames_received_total{type="send_envelope"}')).toBe(4);
    expect(sample(after, 'sync_frames_received_total{type="start_conversation"}')).toBe(1);
    expect(sample(after, 'sync_frames_received_total{type="catch_up"}')).toBe(1);
    expect(sample(after, 'sync_frames_received_total{type="bad_frame"}')).toBe(1);
    expect(sample(after, 'sync_send_latency_seconds_count{type="send_envelope"}')).toBe(3);
    expect(sample(after, 'sync_send_latency_seconds_sum{type="send_envelope"}')).toBeGreaterThan(0);
    expect(sample(after, 'sync_catch_up_pages_total')).toBe(1);
    expect(sample(after, 'sync_catch_up_events_total')).toBeGreaterThanOrEqual(3);
    expect(sample(after, 'http_requests_total{route="/v1/accounts",status="201"}')).toBe(2);
    expect(sample(after, 'http_requests_total{route="/v1/sync",status="101"}')).toBe(2);
    expect(sample(after, 'http_requests_total{route="/v1/attachments/:id",status="401"}')).toBe(1);
    expect(sample(after, 'http_requests_total{route="other",status="404"}')).toBe(1);
    expect(after).not.toMatch(/some-unknown-id-123|path-456/);

    await bobSocket.close();
    await waitFor(async () => sample(await scrape(), 'sync_connections_open') === 1, 'the gauge to go down');
  });

  it('keeps each server’s metrics to itself', async () => {
    const one = await h.startServer();
    const two = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(one);
    await aliceSocket.send(conversation.id, 'm1', 'hello');
    const text = await (await fetch(two.httpUrl + METRICS_PATH)).text();
    expect(sample(text, 'sync_frames_received_total{type="send_envelope"}')).toBe(0);
    expect(sample(text, 'sync_connections_open')).toBe(0);
  });
});

// SQLite only: these give the server a SQLite store of their own and set its file's user_version.
describe('GET /v1/ready', () => {
  const h = createServerHarness();
  afterEach(() => h.cleanup());

  it('answers 200 while the store answers, and 503 with a reason once it is closed', async () => {
    const store = openSqliteServerStore(await h.tempDir());
    const server = await h.startServer({ store });
    const ready = await fetch(server.httpUrl + READY_PATH);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    await store.close();
    const closed = await fetch(server.httpUrl + READY_PATH);
    expect(closed.status).toBe(503);
    expect(await closed.json()).toEqual({ ok: false, reason: expect.stringMatching(/closed/) as unknown });
    // Health says only that the process is up.
    expect((await fetch(server.httpUrl + HEALTH_PATH)).status).toBe(200);
  });

  it('answers 503 when the schema is not at the latest migration', async () => {
    const dataDir = await h.tempDir();
    const store = openSqliteServerStore(dataDir);
    expect(await store.ready()).toEqual({ ok: true });
    const other = new Database(join(dataDir, SERVER_DATABASE_FILE));
    const latest = other.pragma('user_version', { simple: true }) as number;
    other.pragma(`user_version = ${latest - 1}`);
    other.close();
    expect(await store.ready()).toEqual({ ok: false, reason: expect.stringMatching(/version/) as unknown });
    await store.close();
  });

  it('refuses methods other than GET', async () => {
    const server = await h.startServer();
    expect((await fetch(server.httpUrl + READY_PATH, { method: 'POST' })).status).toBe(405);
    expect((await fetch(server.httpUrl + METRICS_PATH, { method: 'POST' })).status).toBe(405);
  });
});
