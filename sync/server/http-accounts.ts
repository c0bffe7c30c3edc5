import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Runtime } from '../common/runtime.js';
import {
  ACCOUNTS_PATH,
  HEALTH_PATH,
  SESSIONS_PATH,
  createAccountRequest,
  logInRequest,
  type SessionResponse,
  type User,
} from '../protocol/frames.js';
import type { AccountGuard } from './account-limits.js';
import { HttpError, readJsonBody, requestPath, sendError, sendJson } from './http-body.js';
import type { ServerLogger } from './logger.js';
import { PasswordsBusyError, type PasswordHasher } from './passwords.js';
import { hashSessionToken, newSessionToken } from './session-tokens.js';
import type { ServerStore } from './store/server-store.js';

export const SERVER_NAME = 'offline-messenger-sync';
const WRONG_CREDENTIALS = 'Wrong username or password';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
/** One plain-HTTP endpoint: the method it accepts and what answers it. */
export interface HttpRoute {
  method: string;
  handle: HttpHandler;
}

export interface HttpDeps {
  store: ServerStore;
  passwords: PasswordHasher;
  /** How often sign-in and sign-up may be tried. */
  accountGuard: AccountGuard;
  runtime: Runtime;
  logger: ServerLogger;
}

/**
 * The plain-HTTP surface: health check, sign-up, sign-in, and the `extra` routes (the operator's
 * readiness and metrics). Everything else is on the socket.
 */
export function createHttpHandler(deps: HttpDeps, extra: ReadonlyArray<[string, HttpRoute]> = []): HttpHandler {
  const routes = new Map<string, HttpRoute>([
    ...extra,
    [HEALTH_PATH, { method: 'GET', handle: async (_req, res) => sendJson(res, 200, { ok: true, name: SERVER_NAME }) }],
    [ACCOUNTS_PATH, { method: 'POST', handle: (req, res) => createAccount(deps, req, res) }],
    [SESSIONS_PATH, { method: 'POST', handle: (req, res) => logIn(deps, req, res) }],
  ]);

  return async (req, res) => {
    try {
      const path = requestPath(req);
      const route = routes.get(path);
      if (!route) throw new HttpError(404, 'not_found', `No such endpoint: ${path}`);
      if (req.method !== route.method) {
        res.setHeader('allow', route.method);
        throw new HttpError(405, 'invalid', `${path} accepts ${route.method} only`);
      }
      await route.handle(req, res);
    } catch (error) {
      if (error instanceof PasswordsBusyError) {
        sendError(
          res,
          new HttpError(503, 'rate_limited', 'The server is busy checking passwords; try again in a moment', undefined, 1),
        );
      } else if (error instanceof HttpError) {
        sendError(res, error);
      } else {
        deps.logger.error('HTTP request failed', error, { method: req.method, path: requestPath(req) });
        sendError(res, new HttpError(500, 'internal', 'Internal server error'));
      }
    }
  };
}

async function createAccount(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  refuseWebPages(req);
  const input = parseBody(createAccountRequest, await readJsonBody(req));
  await deps.accountGuard.beforeSignUp(addressOf(req));
  const taken = () => new HttpError(409, 'conflict', `The username "${input.username}" is already taken`);
  // Cheap early answer; the UNIQUE constraint below is what really decides a race.
  if (await deps.store.findUserByUsername(input.username)) throw taken();
  const created = await deps.store.createUser({
    id: deps.runtime.random.uuid(),
    username: input.username,
    displayName: input.displayName,
    passwordHash: await deps.passwords.hash(input.password),
    createdAt: deps.runtime.clock.now(),
  });
  if (created.status === 'username_taken') throw taken();
  sendJson(res, 201, await openSession(deps, created.user));
}

async function logIn(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  refuseWebPages(req);
  const input = parseBody(logInRequest, await readJsonBody(req));
  // Usernames are stored lowercase; forgive a capital typed at the sign-in screen.
  const username = input.username.trim().toLowerCase();
  await deps.accountGuard.beforeSignIn(addressOf(req), username);
  const user = await deps.store.findUserByUsername(username);
  const ok = user
    ? await deps.passwords.verify(input.password, user.passwordHash)
    : await deps.passwords.verifyNothing(input.password);
  if (!user || !ok) {
    await deps.accountGuard.signInFailed(username);
    throw new HttpError(401, 'unauthorized', WRONG_CREDENTIALS);
  }
  await deps.accountGuard.signInSucceeded(username);
  sendJson(res, 200, await openSession(deps, { id: user.id, username: user.username, displayName: user.displayName }));
}

async function openSession(deps: HttpDeps, user: User): Promise<SessionResponse> {
  const token = newSessionToken((bytes) => deps.runtime.random.hex(bytes));
  await deps.store.createSession({ tokenHash: hashSessionToken(token), userId: user.id, createdAt: deps.runtime.clock.now() });
  return { token, user };
}

/**
 * The account endpoints answer the app, never a web page another site serves: a page can post a
 * plain form (text/plain, urlencoded, multipart) to any address without the browser asking first,
 * so only JSON is taken, which a page can send only after a CORS preflight this server never
 * approves; and a request a browser made for a page of another origin says so in `Origin` (the
 * app's own requests carry none).
 */
function refuseWebPages(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, req.headers.host)) {
    req.resume();
    throw new HttpError(403, 'forbidden', `Requests from web pages (${origin}) are not accepted here`);
  }
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new HttpError(415, 'invalid', 'Send the request body as application/json');
  }
}

/** Where a request came from: the peer's address (behind a load balancer, the balancer's). */
function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'bad_frame', 'Request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, 'invalid', z.prettifyError(result.error));
  return result.data;
}
