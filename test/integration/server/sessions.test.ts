import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CURRENT_SESSION_PATH,
  OTHER_SESSIONS_PATH,
  PASSWORD_PATH,
  SESSIONS_PATH,
  SESSION_ENDED_CLOSE_CODE,
  httpErrorResponse,
  sessionListResponse,
  sessionResponse,
} from '../../../sync/protocol/frames.js';
import { ACCOUNT_CAPS } from '../../../sync/protocol/limits.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { PostgresClusterBus } from '../../../sync/server/cluster/pg-cluster-bus.js';
import { PostgresNodeDirectory } from '../../../sync/server/cluster/pg-node-directory.js';
import { openPostgresServerStore, type PostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { eventually } from '../../support/client-harness.js';
import { freshDatabase } from '../../support/postgres.js';
import { createServerHarness, logIn, manualRuntime, postJson, type TestServer } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function authorized(token: string, init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } };
}

async function signIn(httpUrl: string, username: string, password: string, deviceName?: string): Promise<string> {
  const response = await postJson(httpUrl, SESSIONS_PATH, { username, password, ...(deviceName ? { deviceName } : {}) });
  expect(response.status).toBe(200);
  return sessionResponse.parse(response.body).token;
}

async function listSessions(httpUrl: string, token: string) {
  const response = await fetch(httpUrl + SESSIONS_PATH, authorized(token));
  expect(response.status).toBe(200);
  return sessionListResponse.parse(await response.json()).sessions;
}

describeEachStore('sessions', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('signing out revokes the token: its open socket closes at once and it opens nothing again', async () => {
    const server = await h.startServer();
    const alice = await h.createAccount(server, { username: 'alice', password: 'alice password' });
    const laptop = await signIn(server.httpUrl, 'alice', 'alice password', 'Laptop');
    const phoneSocket = await h.connect(server, alice.token);
    const laptopSocket = await h.connect(server, laptop);

    const out = await fetch(server.httpUrl + CURRENT_SESSION_PATH, authorized(laptop, { method: 'DELETE' }));
    expect(out.status).toBe(204);
    expect((await laptopSocket.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);
    expect(await h.refusedStatus(server, { authorization: `Bearer ${laptop}` })).toBe(401);
    expect((await fetch(server.httpUrl + SESSIONS_PATH, authorized(laptop))).status).toBe(401);
    // The other device is untouched.
    expect(await phoneSocket.call({ type: 'find_user', username: 'alice' }, 'user')).toMatchObject({
      user: { username: 'alice' },
    });
    expect((await fetch(server.httpUrl + CURRENT_SESSION_PATH, { method: 'DELETE' })).status).toBe(401);
  });

  it('lists a person’s sessions with their device names and last use, and ends one or all of the others', async () => {
    const server = await h.startServer();
    await h.createAccount(server, { username: 'bob', password: 'bob password' });
    const stranger = await h.createAccount(server);
    const desk = await signIn(server.httpUrl, 'bob', 'bob password', 'Desk');
    const phone = await signIn(server.httpUrl, 'bob', 'bob password', 'Phone');
    const tablet = await signIn(server.httpUrl, 'bob', 'bob password', 'Tablet');

    const seen = await listSessions(server.httpUrl, desk);
    expect(seen.map((s) => [s.deviceName, s.current]).sort()).toEqual(
      [
        [null, false], // the account's own first session, opened at sign-up without a name
        ['Desk', true],
        ['Phone', false],
        ['Tablet', false],
      ].sort(),
    );
    const phoneId = seen.find((s) => s.deviceName === 'Phone')!.id;

    // Nobody ends a session of someone else's: it looks like no session at all.
    const theirs = await fetch(`${server.httpUrl}${SESSIONS_PATH}/${phoneId}`, authorized(stranger.token, { method: 'DELETE' }));
    expect(theirs.status).toBe(404);
    const phoneSocket = await h.connect(server, phone);
    const ended = await fetch(`${server.httpUrl}${SESSIONS_PATH}/${phoneId}`, authorized(desk, { method: 'DELETE' }));
    expect(ended.status).toBe(204);
    expect((await phoneSocket.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);

    const tabletSocket = await h.connect(server, tablet);
    const others = await fetch(server.httpUrl + OTHER_SESSIONS_PATH, authorized(desk, { method: 'DELETE' }));
    expect(await others.json()).toEqual({ ended: 2 });
    expect((await tabletSocket.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);
    expect((await listSessions(server.httpUrl, desk)).map((s) => s.deviceName)).toEqual(['Desk']);
  });

  it('changing the password needs the current one, ends every other session and keeps this one', async () => {
    const server = await h.startServer();
    const carol = await h.createAccount(server, { username: 'carol', password: 'old password' });
    const other = await signIn(server.httpUrl, 'carol', 'old password');
    const otherSocket = await h.connect(server, other);
    const change = (currentPassword: string) =>
      fetch(
        server.httpUrl + PASSWORD_PATH,
        authorized(carol.token, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ currentPassword, newPassword: 'new password!' }),
        }),
      );

    const wrong = await change('not it');
    expect(wrong.status).toBe(401);
    expect((await listSessions(server.httpUrl, carol.token)).length).toBe(2);

    const right = await change('old password');
    expect(await right.json()).toEqual({ ended: 1 });
    expect((await otherSocket.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);
    expect((await listSessions(server.httpUrl, carol.token)).length).toBe(1);
    expect((await logIn(server.httpUrl, 'carol', 'old password')).status).toBe(401);
    expect((await logIn(server.httpUrl, 'carol', 'new password!')).status).toBe(200);
  });

  it('a session unused for 90 days has expired; one in use does not expire', async () => {
    const { runtime, clock } = manualRuntime(Date.UTC(2026, 0, 1));
    const server = await h.startServer({ runtime });
    const dave = await h.createAccount(server, { username: 'dave', password: 'dave password' });
    const kept = await signIn(server.httpUrl, 'dave', 'dave password', 'Used daily');
    for (let day = 10; day <= 100; day += 10) {
      clock.set(Date.UTC(2026, 0, 1) + day * DAY_MS);
      expect((await fetch(server.httpUrl + SESSIONS_PATH, authorized(kept))).status).toBe(200);
    }
    clock.set(Date.UTC(2026, 0, 1) + 100 * DAY_MS + 1);
    expect(await h.refusedStatus(server, { authorization: `Bearer ${dave.token}` })).toBe(401);
    expect((await listSessions(server.httpUrl, kept)).map((s) => s.deviceName)).toEqual(['Used daily']);
  });

  it('closes a socket whose session ended without a word to this node (a lost signal) at its next recheck', async () => {
    const server = await h.startServer({ sessionRecheckMs: 100 });
    const gina = await h.createAccount(server, { username: 'gina', password: 'gina password' });
    const socket = await h.connect(server, gina.token);
    // Ended straight in the store, as another node would, but no signal reaches this one.
    const store = await server.database!.open();
    expect(await store.endSessions({ userId: gina.user.id, except: 'none' })).toHaveLength(1);
    await store.close();
    expect((await socket.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);
  });

  it('closes the sockets whose sessions it cannot recheck (the store failing) with 1013, so their clients come back through the upgrade', async () => {
    const dataDir = await h.tempDir();
    const database = await backend.createDatabase(dataDir);
    const inner = await database.open();
    let failing = false;
    const store = new Proxy(inner, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (failing && property === 'useSessions') return Promise.reject(new Error('the database is gone (test)'));
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const server = await h.startServer({ dataDir, store, sessionRecheckMs: 100 });
    try {
      const hana = await h.createAccount(server, { username: 'hana', password: 'hana password' });
      const socket = await h.connect(server, hana.token);
      failing = true;
      expect((await socket.closed).code).toBe(1013);
    } finally {
      await server.close();
      await inner.close();
      await database.dispose();
    }
  });

  it('rechecks every socket’s session in one statement at a time (not a round trip each), and still closes every ended one', async () => {
    const dataDir = await h.tempDir();
    const database = await backend.createDatabase(dataDir);
    const inner = await database.open();
    const rechecks = { inFlight: 0, most: 0, calls: [] as string[][], single: 0 };
    let counting = false;
    const store = new Proxy(inner, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (!counting) return (value as (...args: unknown[]) => unknown).apply(target, args);
          if (property === 'useSession') rechecks.single += 1;
          if (property !== 'useSessions') return (value as (...args: unknown[]) => unknown).apply(target, args);
          rechecks.calls.push([...(args[0] as { tokenHashes: string[] }).tokenHashes]);
          rechecks.most = Math.max(rechecks.most, (rechecks.inFlight += 1));
          try {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return await (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
          } finally {
            rechecks.inFlight -= 1;
          }
        };
      },
    });
    const server = await h.startServer({ dataDir, store, sessionRecheckMs: 200 });
    try {
      const people = [];
      for (let i = 0; i < 8; i += 1)
        people.push(await h.createAccount(server, { username: `pat${i}`, password: 'pat password' }));
      // Two sockets on the first person's session: both close.
      const sockets = [
        await h.connect(server, people[0]!.token),
        ...(await Promise.all(people.map((p) => h.connect(server, p.token)))),
      ];
      counting = true;
      const ender = await database.open();
      expect(await ender.endSessions({ userId: people[0]!.user.id, except: 'none' })).toHaveLength(1);
      await ender.close();
      expect((await sockets[0]!.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);
      expect((await sockets[1]!.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);
      // The round after: the seven left, once each, in one call.
      await eventually(
        () => rechecks.calls.at(-1)?.length,
        (n) => n === 7,
        'a recheck of the seven sessions left',
      );
      counting = false;
      // The round that found the ended one asked for all eight sessions (nine sockets) at once.
      expect(rechecks.calls.some((hashes) => hashes.length === 8 && new Set(hashes).size === 8)).toBe(true);
      expect(rechecks.most).toBe(1);
      expect(rechecks.single).toBe(0);
      for (const socket of sockets.slice(2)) expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      await server.close();
      await inner.close();
      await database.dispose();
    }
  });

  it(`refuses signing in on more than ${ACCOUNT_CAPS.maxDevicesPerAccount} devices with too_many_devices, until one ends`, async () => {
    const server = await h.startServer();
    const erin = await h.createAccount(server, { username: 'erin', password: 'erin password' });
    for (let i = 1; i < ACCOUNT_CAPS.maxDevicesPerAccount; i++) await signIn(server.httpUrl, 'erin', 'erin password');
    const refused = await postJson(server.httpUrl, SESSIONS_PATH, { username: 'erin', password: 'erin password' });
    expect(refused.status).toBe(403);
    expect(httpErrorResponse.parse(refused.body)).toMatchObject({ code: 'forbidden', reason: 'too_many_devices' });
    await fetch(server.httpUrl + CURRENT_SESSION_PATH, authorized(erin.token, { method: 'DELETE' }));
    await signIn(server.httpUrl, 'erin', 'erin password');
  });
});

describe('sessions across PostgreSQL nodes', () => {
  const h = createServerHarness();
  const stores: PostgresServerStore[] = [];
  const drops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await h.cleanup();
    for (const store of stores.splice(0)) await store.close();
    for (const drop of drops.splice(0)) await drop();
  });

  async function startNode(url: string, nodeId: string): Promise<TestServer> {
    const store = await openPostgresServerStore(url);
    stores.push(store);
    const runtime = realRuntime();
    const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
    const bus = new PostgresClusterBus({ url, pool: store.pool, nodeId, runtime, logger: quiet });
    return h.startServer({
      store,
      runtime,
      cluster: {
        nodeId,
        bus,
        directory: new PostgresNodeDirectory(store.pool),
        timing: { heartbeatMs: 200, deadAfterMs: 1_000 },
      },
    });
  }

  it('a session ended through one node closes its socket on the other at once', async () => {
    const database = await freshDatabase();
    drops.push(() => database.drop());
    const one = await startNode(database.url, `node-${randomUUID()}`);
    const two = await startNode(database.url, `node-${randomUUID()}`);
    const frank = await h.createAccount(one, { username: 'frank', password: 'frank password' });
    const onTwo = await h.connect(two, frank.token);
    const out = await fetch(one.httpUrl + CURRENT_SESSION_PATH, authorized(frank.token, { method: 'DELETE' }));
    expect(out.status).toBe(204);
    expect((await onTwo.closed).code).toBe(SESSION_ENDED_CLOSE_CODE);
  });
});
