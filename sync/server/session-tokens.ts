import { createHash } from 'node:crypto';

const TOKEN_BYTES = 32;

export function newSessionToken(randomHex: (byteLength: number) => string): string {
  return randomHex(TOKEN_BYTES);
}

/**
 * Tokens are 256 random bits, so a plain SHA-256 is enough (no salt or stretching needed): the
 * stored hash cannot be turned back into a token that opens the socket.
 */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}
