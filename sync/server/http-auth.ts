import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from '../protocol/frames.js';
import { HttpError } from './http-body.js';
import { bearerToken, hashSessionToken } from './session-tokens.js';
import type { ServerStore } from './store/server-store.js';

/**
 * The user whose session token the request carries (`Authorization: Bearer <token>`, as on the
 * sync socket). Throws a 401 (with `WWW-Authenticate: Bearer`) when it carries none or an unknown one.
 */
export async function requireUser(store: ServerStore, req: IncomingMessage, res: ServerResponse): Promise<User> {
  const token = bearerToken(req.headers.authorization);
  const user = token ? await store.findUserBySessionHash(hashSessionToken(token)) : null;
  if (user) return user;
  res.setHeader('www-authenticate', 'Bearer');
  throw new HttpError(401, 'unauthorized', token ? 'Unknown or expired session token' : 'A bearer token is required');
}
