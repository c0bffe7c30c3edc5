import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CURRENT_SESSION_PATH,
  OTHER_SESSIONS_PATH,
  PASSWORD_PATH,
  SESSIONS_PATH,
  changePasswordRequest,
} from '../protocol/frames.js';
import type { AccountGuard } from './account-limits.js';
import type { ClientAddressOf } from './client-address.js';
import { parseBody, refuseWebPages } from './http-account-input.js';
import { requireSession } from './http-auth.js';
import { HttpError, readJsonBody, sendJson } from './http-body.js';
import type { PasswordHasher } from './passwords.js';
import type { SessionBook } from './session-book.js';
import type { ServerStore } from './store/server-store.js';

/**
 * The endpoints of a signed-in person's sessions, all with their bearer token: list them, sign out
 * (end the current one), end one or all of the others, and change the password (which ends the
 * others too).
 */

export interface SessionRoutesDeps {
  store: ServerStore;
  sessions: SessionBook;
  passwords: PasswordHasher;
  accountGuard: AccountGuard;
  clientAddress: ClientAddressOf;
}

type Route = [string, { method: string; handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> }];

/** `/v1/sessions/<id>`: one session, by the id the listing gave. `pattern` is its key among the routes. */
export const SESSION_BY_ID = {
  pattern: `${SESSIONS_PATH}/:id`,
  test: (path: string) => path.startsWith(`${SESSIONS_PATH}/`) && sessionIdIn(path) !== null,
};

function sessionIdIn(path: string): string | null {
  const id = path.slice(SESSIONS_PATH.length + 1);
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
}

export function sessionRoutes(deps: SessionRoutesDeps): Route[] {
  return [
    [
      SESSIONS_PATH,
      {
        method: 'GET',
        handle: async (req, res) => {
          const caller = await requireSession(deps.sessions, req, res);
          sendJson(res, 200, { sessions: await deps.sessions.list(caller) });
        },
      },
    ],
    [
      CURRENT_SESSION_PATH,
      {
        method: 'DELETE',
        handle: async (req, res) => {
          const caller = await requireSession(deps.sessions, req, res);
          await deps.sessions.end(caller, { current: true });
          res.writeHead(204).end();
        },
      },
    ],
    [
      OTHER_SESSIONS_PATH,
      {
        method: 'DELETE',
        handle: async (req, res) => {
          const caller = await requireSession(deps.sessions, req, res);
          sendJson(res, 200, { ended: await deps.sessions.end(caller, { others: true }) });
        },
      },
    ],
    [
      SESSION_BY_ID.pattern,
      {
        method: 'DELETE',
        handle: async (req, res) => {
          const caller = await requireSession(deps.sessions, req, res);
          const id = sessionIdIn((req.url ?? '').split('?', 1)[0]!);
          // Someone else's session, an unknown id and an expired one all look alike.
          if (id === null || (await deps.sessions.end(caller, { id })) === 0) {
            throw new HttpError(404, 'not_found', 'No such session');
          }
          res.writeHead(204).end();
        },
      },
    ],
    [PASSWORD_PATH, { method: 'PUT', handle: (req, res) => changePassword(deps, req, res) }],
  ];
}

/**
 * A new password, given the current one: wrong guesses count against the username exactly as at
 * sign-in (a stolen session must not become a way to try passwords), and every other session ends.
 */
async function changePassword(deps: SessionRoutesDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const caller = await requireSession(deps.sessions, req, res);
  refuseWebPages(req);
  const input = parseBody(changePasswordRequest, await readJsonBody(req));
  const username = caller.user.username;
  const address = deps.clientAddress(req);
  await deps.accountGuard.beforeSignIn(address, username);
  const stored = await deps.store.findUserByUsername(username);
  if (!stored || !(await deps.passwords.verify(input.currentPassword, stored.passwordHash, address))) {
    await deps.accountGuard.signInFailed(address, username);
    throw new HttpError(401, 'unauthorized', 'The current password is wrong');
  }
  await deps.accountGuard.signInSucceeded(address, username);
  const ended = await deps.sessions.changePassword(caller, await deps.passwords.hash(input.newPassword, address));
  sendJson(res, 200, { ended });
}
