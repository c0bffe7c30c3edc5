/**
 * The browser host's lock. The Origin and Host checks (bridge-guard.ts) keep web pages out, but any
 * program on this computer can send whatever headers it likes. So each start of the host mints a
 * one-time key, printed in the address to open (http://127.0.0.1:<port>/?k=<key>): the first GET of
 * that address trades it for a session cookie (HttpOnly, so no script reads it; SameSite=Strict, so
 * no other site's request carries it), and every other request (pages, files, the bridge) must carry
 * that cookie. The key is spent once traded, so an address left in history or a terminal's
 * scrollback opens nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Random } from '../../sync/common/runtime.js';

/** The query parameter of the printed address that carries the one-time key. */
export const ACCESS_KEY_PARAM = 'k';

/** 256 bits each: the one-time key and the session cookie. */
const SECRET_BYTES = 32;

/**
 * Cookies are not kept apart by port, so two hosts on 127.0.0.1 (two profiles) would overwrite each
 * other's cookie under one name: each port gets its own.
 */
export function sessionCookieName(port: number): string {
  return `messenger_session_${port}`;
}

/** Equal secrets, compared in constant time (digests first, so differing lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Every value sent under `name` in a Cookie header (a browser may send one name twice, for two paths). */
export function cookieValues(header: string | string[] | undefined, name: string): string[] {
  if (typeof header !== 'string') return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals !== -1 && pair.slice(0, equals).trim() === name) values.push(pair.slice(equals + 1).trim());
  }
  return values;
}

export interface BridgeLock {
  /** The one-time key for the printed address. */
  readonly key: string;
  /**
   * Trades the key for the session: the Set-Cookie header value the first time the right key is
   * presented, null for a wrong key and for every later attempt.
   */
  exchange(candidate: string): string | null;
  /** The request's Cookie header carries this host's session. */
  admits(cookieHeader: string | string[] | undefined): boolean;
}

export function createBridgeLock(options: { port: number; random: Pick<Random, 'hex'> }): BridgeLock {
  const key = options.random.hex(SECRET_BYTES);
  const session = options.random.hex(SECRET_BYTES);
  const name = sessionCookieName(options.port);
  let spent = false;
  return {
    key,
    exchange(candidate) {
      if (spent || !sameSecret(candidate, key)) return null;
      spent = true;
      // No Max-Age: the session ends with the browser or with this host, whichever comes first. No
      // Secure: the address is plain http on loopback.
      return `${name}=${session}; Path=/; HttpOnly; SameSite=Strict`;
    },
    admits(cookieHeader) {
      return cookieValues(cookieHeader, name).some((value) => sameSecret(value, session));
    },
  };
}
