import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  ACCOUNTS_PATH,
  HEALTH_PATH,
  SESSIONS_PATH,
  SYNC_PATH,
  httpErrorResponse,
  sessionResponse,
} from '../../../sync/protocol/frames.js';
import { createServerHarness, logIn, postJson } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import { SYNC_PROTOCOL } from '../../../sync/protocol/version.js';

describeEachStore('HTTP account endpoints', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('answers the health check', async () => {
    const server = await h.startServer();
    const response = await fetch(server.httpUrl + HEALTH_PATH);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, name: 'offline-messenger-sync' });
  });

  it('creates an account with a session token, and refuses the same username again with 409', async () => {
    const server = await h.startServer();
    const created = await postJson(server.httpUrl, ACCOUNTS_PATH, {
      username: 'alice',
      displayName: 'Alice',
      password: 'alice password',
    });
    expect(created.status).toBe(201);
    const session = sessionResponse.parse(created.body);
    expect(session.user).toMatchObject({ username: 'alice', displayName: 'Alice' });
    expect(session.token).toMatch(/^[0-9a-f]{64}$/);

    const again = await postJson(server.httpUrl, ACCOUNTS_PATH, {
      username: 'alice',
      displayName: 'Another Alice',
      password: 'other password',
    });
    expect(again.status).toBe(409);
    expect(httpErrorResponse.parse(again.body).code).toBe('conflict');

    // The first account is untouched: its password still works, the second one does not.
    expect((await logIn(server.httpUrl, 'alice', 'alice password')).status).toBe(200);
    expect((await logIn(server.httpUrl, 'alice', 'other password')).status).toBe(401);
  });

  it('lets only one of several simultaneous sign-ups with the same username through', async () => {
    const server = await h.startServer();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        postJson(server.httpUrl, ACCOUNTS_PATH, { username: 'racer', displayName: `R${i}`, password: 'racer password' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it('logs in with the right password and gives a fresh token', async () => {
    const server = await h.startServer();
    const account = await h.createAccount(server, { username: 'bob', password: 'bob password' });
    const login = await logIn(server.httpUrl, 'bob', 'bob password');
    expect(login.status).toBe(200);
    const session = sessionResponse.parse(login.body);
    expect(session.user).toEqual(account.user);
    expect(session.token).not.toBe(account.token);
    // Usernames are lowercase; a capital typed at sign-in is forgiven.
    expect((await logIn(server.httpUrl, 'Bob', 'bob password')).status).toBe(200);
  });

  it('gives the same 401 for a wrong password and an unknown user', async () => {
    const server = await h.startServer();
    await h.createAccount(server, { username: 'carol', password: 'carol password' });
    const wrongPassword = await logIn(server.httpUrl, 'carol', 'not the password');
    const unknownUser = await logIn(server.httpUrl, 'nobody', 'carol password');
    expect(wrongPassword).toEqual({ status: 401, body: { code: 'unauthorized', message: 'Wrong username or password' } });
    expect(unknownUser).toEqual(wrongPassword);
  });

  it('refuses bodies that are not JSON, of the wrong shape, or too large, with readable messages', async () => {
    const server = await h.startServer();

    const notJson = await postJson(server.httpUrl, ACCOUNTS_PATH, '{"username": ');
    expect(notJson.status).toBe(400);
    expect(httpErrorResponse.parse(notJson.body)).toMatchObject({ code: 'bad_frame' });

    const notObject = await postJson(server.httpUrl, SESSIONS_PATH, '[1,2]');
    expect(notObject.status).toBe(400);
    expect(httpErrorResponse.parse(notObject.body).code).toBe('bad_frame');

    const badShape = await postJson(server.httpUrl, ACCOUNTS_PATH, { username: 'No Caps', displayName: '', password: 'short' });
    expect(badShape.status).toBe(400);
    const error = httpErrorResponse.parse(badShape.body);
    expect(error.code).toBe('invalid');
    expect(error.message).toContain('username');
    expect(error.message).toContain('password');
    expect(error.message).toContain('displayName');

    const huge = await postJson(server.httpUrl, ACCOUNTS_PATH, {
      username: 'big',
      displayName: 'x'.repeat(20_000),
      password: 'big password',
    });
    expect(huge.status).toBe(413);
    expect(httpErrorResponse.parse(huge.body).code).toBe('invalid');

    // None of the refused requests created an account.
    expect(
      (await postJson(server.httpUrl, ACCOUNTS_PATH, { username: 'big', displayName: 'Big', password: 'big password' })).status,
    ).toBe(201);
  });

  it('takes sign-up and sign-in only as JSON, and never from a web page of another site', async () => {
    const server = await h.startServer();
    const body = JSON.stringify({ username: 'mallory', displayName: 'Mallory', password: 'mallory password' });
    const post = (path: string, headers: Record<string, string>) =>
      fetch(server.httpUrl + path, { method: 'POST', headers, body }).then(async (response) => ({
        status: response.status,
        body: httpErrorResponse.parse(await response.json()),
      }));
    // What a plain HTML form on any page can send without asking the browser first.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      for (const path of [ACCOUNTS_PATH, SESSIONS_PATH]) {
        expect(await post(path, { 'content-type': type })).toMatchObject({ status: 415, body: { code: 'invalid' } });
      }
    }
    const fromPage = { 'content-type': 'application/json', origin: 'https://evil.example' };
    expect(await post(ACCOUNTS_PATH, fromPage)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect(await post(SESSIONS_PATH, fromPage)).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await logIn(server.httpUrl, 'mallory', 'mallory password')).status).toBe(401);
    // The app's own requests: JSON, no Origin (or the server's own).
    const own = { 'content-type': 'application/json; charset=utf-8', origin: server.httpUrl };
    expect((await fetch(server.httpUrl + ACCOUNTS_PATH, { method: 'POST', headers: own, body })).status).toBe(201);
  });

  it('answers a flood of sign-ups it cannot hash at once with 503 and Retry-After, losing none it took', async () => {
    const server = await h.startServer({ hashingLimits: { concurrent: 1, queued: 1, perAddress: 64 } });
    // Enough at once that some overlap even on a busy machine, where eight could arrive one by one.
    const answers = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        fetch(server.httpUrl + ACCOUNTS_PATH, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `flood${i}`, displayName: `Flood ${i}`, password: 'flood password' }),
        }).then(async (response) => ({
          username: `flood${i}`,
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: await response.json(),
        })),
      ),
    );
    const busy = answers.filter((answer) => answer.status === 503);
    const created = answers.filter((answer) => answer.status === 201);
    expect(busy.length).toBeGreaterThan(0);
    expect(created.length + busy.length).toBe(answers.length);
    for (const answer of busy) {
      expect(answer.retryAfter).toBe('1');
      expect(httpErrorResponse.parse(answer.body)).toMatchObject({ code: 'rate_limited' });
    }
    for (const answer of created) expect((await logIn(server.httpUrl, answer.username, 'flood password')).status).toBe(200);
    // Refused ones were not created: they may sign up again.
    expect((await logIn(server.httpUrl, busy[0]!.username, 'flood password')).status).toBe(401);
  });

  it('wrong passwords make the guessing address wait, never the owner: their usual address signs in through a spread-out attack', async () => {
    const limits = {
      signInFailuresPerUsernameAndAddress: { points: 3, seconds: 600 },
      signInFailuresPerUsername: { points: 8, seconds: 600 },
      signInsPerAddress: { points: 1_000, seconds: 600 },
      signUpsPerAddress: { points: 1_000, seconds: 600 },
    };
    // The test's requests come from 127.0.0.1, a trusted proxy: each names the client it stands for.
    const server = await h.startServer({ accountLimits: limits, trustedProxies: ['127.0.0.1'] });
    const signIn = async (username: string, password: string, from: string) => {
      const response = await fetch(server.httpUrl + SESSIONS_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
        body: JSON.stringify({ username, password }),
      });
      const body: unknown = await response.json();
      return { status: response.status, retryAfter: Number(response.headers.get('retry-after')), body };
    };
    const victim = await h.createAccount(server, { username: 'victim', password: 'victim password' });
    const HOME = '198.51.100.7';
    const GUESSER = '203.0.113.9';
    expect((await signIn('victim', victim.password, HOME)).status).toBe(200);

    // One address: three wrong passwords are free, the fourth is answered and then that address waits.
    for (let i = 1; i <= 4; i += 1) expect((await signIn('VICTIM', `guess ${i}`, GUESSER)).status).toBe(401);
    const waiting = await signIn('victim', victim.password, GUESSER);
    expect(waiting.status).toBe(429);
    expect(waiting.retryAfter).toBeGreaterThan(20);
    expect(waiting.retryAfter).toBeLessThanOrEqual(30);
    expect(httpErrorResponse.parse(waiting.body)).toMatchObject({ code: 'rate_limited' });
    // The owner, at home, is not held up by it.
    expect((await signIn('victim', victim.password, HOME)).status).toBe(200);

    // Guesses spread over many addresses: past the account-wide count only addresses the owner
    // used may try; the owner's home still signs in, a new address of theirs waits like the guessers.
    for (let n = 10; n < 14; n += 1) expect((await signIn('victim', 'spread guess', `203.0.113.${n}`)).status).toBe(401);
    expect((await signIn('victim', victim.password, '203.0.113.50')).status).toBe(429);
    expect(await signIn('victim', victim.password, HOME)).toMatchObject({ status: 200 });
    // So does an address one of their signed-in devices connects from.
    const OFFICE = '192.0.2.44';
    const device = new WebSocket(server.url + SYNC_PATH, [SYNC_PROTOCOL], {
      headers: { authorization: `Bearer ${victim.token}`, 'x-forwarded-for': OFFICE },
    });
    await new Promise((resolve, reject) => device.once('open', resolve).once('error', reject));
    device.close();
    await expect.poll(async () => (await signIn('victim', victim.password, OFFICE)).status).toBe(200);

    // An unknown username is counted like a known one, so the answers tell nothing apart.
    for (let i = 0; i < 4; i += 1) expect((await signIn('nobody', 'guess', GUESSER)).status).toBe(401);
    expect((await signIn('nobody', 'guess', GUESSER)).status).toBe(429);
  });

  it('limits sign-in attempts and sign-ups per address', async () => {
    const limits = {
      signInFailuresPerUsernameAndAddress: { points: 1_000, seconds: 600 },
      signInFailuresPerUsername: { points: 1_000, seconds: 600 },
      signInsPerAddress: { points: 4, seconds: 600 },
      signUpsPerAddress: { points: 2, seconds: 600 },
    };
    const server = await h.startServer({ accountLimits: limits });
    const signUp = (username: string) =>
      postJson(server.httpUrl, ACCOUNTS_PATH, { username, displayName: username, password: 'a password' });
    expect((await signUp('first')).status).toBe(201);
    expect((await signUp('second')).status).toBe(201);
    expect(await signUp('third')).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
    const statuses = [];
    for (const username of ['first', 'second', 'first', 'second', 'first']) {
      statuses.push((await logIn(server.httpUrl, username, 'a password')).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    const server = await h.startServer();
    const missing = await fetch(server.httpUrl + '/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(httpErrorResponse.parse(await missing.json()).code).toBe('not_found');
    const wrongMethod = await fetch(server.httpUrl + ACCOUNTS_PATH);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});
