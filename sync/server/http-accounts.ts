import type { IncomingMessage, ServerResponse } from 'node:http';
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
import type { ClientAddressOf } from './client-address.js';
import { parseBody, refuseWebPages } from './http-account-input.js';
import { HttpError, readJsonBody, requestPath, sendError, sendJson } from './http-body.js';
import type { ServerLogger } from './logger.js';
import { PasswordsBusyError, type PasswordHasher } from './passwords.js';
import type { SessionBook } from './session-book.js';
import { sessionRoutes, SESSION_BY_ID } from './http-sessions.js';
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
  /** Where a request came from (behind trusted proxies, whom they forward for). */
  clientAddress: ClientAddressOf;
  /** Opens, checks and ends sessions (their sockets close with them). */
  sessions: SessionBook;
  runtime: Runtime;
  logger: ServerLogger;
}

/**
 * The plain-HTTP surface: health check, sign-up, sign-in, sessions, and the `extra` routes (the
 * operator's readiness and metrics). Everything else is on the socket.
 */
export function createHttpHandler(deps: HttpDeps, extra: ReadonlyArray<[string, HttpRoute]> = []): HttpHandler {
  const routes = new Map<string, HttpRoute[]>();
  for (const [path, route] of [
    ...extra,
    [HEALTH_PATH, { method: 'GET', handle: async (_req, res) => sendJson(res, 200, { ok: true, name: SERVER_NAME }) }],
    [ACCOUNTS_PATH, { method: 'POST', handle: (req, res) => createAccount(deps, req, res) }],
    [SESSIONS_PATH, { method: 'POST', handle: (req, res) => logIn(deps, req, res) }],
    ...sessionRoutes(deps),
  ] satisfies Array<[string, HttpRoute]>) {
    routes.set(path, [...(routes.get(path) ?? []), route]);
  }

  return async (req, res) => {
    try {
      const path = requestPath(req);
      const methods = routes.get(path) ?? (SESSION_BY_ID.test(path) ? routes.get(SESSION_BY_ID.pattern) : undefined);
      if (!methods) throw new HttpError(404, 'not_found', `No such endpoint: ${path}`);
      const route = methods.find((candidate) => candidate.method === req.method);
      if (!route) {
        const allowed = methods.map((candidate) => candidate.method).join(', ');
        res.setHeader('allow', allowed);
        throw new HttpError(405, 'invalid', `${path} accepts ${allowed} only`);
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
  const address = deps.clientAddress(req);
  await deps.accountGuard.beforeSignUp(address);
  const taken = () => new HttpError(409, 'conflict', `The username "${input.username}" is already taken`);
  // Cheap early answer; the UNIQUE constraint below is what really decides a race.
  if (await deps.store.findUserByUsername(input.username)) throw taken();
  const created = await deps.store.createUser({
    id: deps.runtime.random.uuid(),
    username: input.username,
    displayName: input.displayName,
    passwordHash: await deps.passwords.hash(input.password, address),
    createdAt: deps.runtime.clock.now(),
  });
  if (created.status === 'username_taken') throw taken();
  sendJson(res, 201, await openSession(deps, created.user, input.deviceName));
}

async function logIn(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  refuseWebPages(req);
  const input = parseBody(logInRequest, await readJsonBody(req));
  // Usernames are stored lowercase; forgive a capital typed at the sign-in screen.
  const username = input.username.trim().toLowerCase();
  const address = deps.clientAddress(req);
  await deps.accountGuard.beforeSignIn(address, username);
  const user = await deps.store.findUserByUsername(username);
  const ok = user
    ? await deps.passwords.verify(input.password, user.passwordHash, address)
    : await deps.passwords.verifyNothing(input.password, address);
  if (!user || !ok) {
    await deps.accountGuard.signInFailed(address, username);
    throw new HttpError(401, 'unauthorized', WRONG_CREDENTIALS);
  }
  await deps.accountGuard.signInSucceeded(address, username);
  const self = { id: user.id, username: user.username, displayName: user.displayName };
  sendJson(res, 200, await openSession(deps, self, input.deviceName));
}

async function openSession(deps: HttpDeps, user: User, deviceName: string | undefined): Promise<SessionResponse> {
  return { token: await deps.sessions.open(user.id, deviceName ?? null), user };
}
