import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from '../protocol/frames.js';
import { HttpError } from './http-body.js';
import type { SessionBook } from './session-book.js';
import { bearerToken } from './session-tokens.js';
import type { SessionUse } from './store/server-store.js';

export type SessionLookup = Pick<SessionBook, 'use'>;

/**
 * The session the request's token opens (`Authorization: Bearer <token>`, as on the sync socket).
 * Throws a 401 (with `WWW-Authenticate: Bearer`) when it carries none, or one that is unknown,
 * revoked or expired.
 */
export async function requireSession(sessions: SessionLookup, req: IncomingMessage, res: ServerResponse): Promise<SessionUse> {
  const token = bearerToken(req.headers.authorization);
  const use = token ? await sessions.use(token) : null;
  if (use) return use;
  res.setHeader('www-authenticate', 'Bearer');
  throw new HttpError(401, 'unauthorized', token ? 'Unknown, revoked or expired session token' : 'A bearer token is required');
}

/** The user of the request's session (see requireSession). */
export async function requireUser(sessions: SessionLookup, req: IncomingMessage, res: ServerResponse): Promise<User> {
  return (await requireSession(sessions, req, res)).user;
}
