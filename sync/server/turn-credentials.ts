/**
 * Short-lived credentials for the operator's TURN relay (call-frames.ts), as coturn's
 * `use-auth-secret` checks them: the username is `<expiry, unix seconds>:<account id>` and the
 * password base64(HMAC-SHA1(secret, username)). The relay needs no list of accounts, and a
 * credential stops working at its expiry.
 */
import { createHmac } from 'node:crypto';
import type { IceServer } from '../protocol/call-frames.js';

export interface TurnConfig {
  /** The relay's URLs as clients reach it (turn:host:3478, turns:host:5349?transport=tcp…). */
  urls: string[];
  /** The secret shared with the relay (coturn's static-auth-secret). */
  secret: string;
  /** How long a credential works. */
  ttlMs: number;
}

/** A day at most, as the TURN REST scheme suggests; an hour by default, enough to start a call and to restart ICE in it. */
export const TURN_TTL_MS = 60 * 60 * 1000;

export function turnCredentials(config: TurnConfig, userId: string, now: number): { iceServer: IceServer; expiresAt: number } {
  const expiresAt = now + config.ttlMs;
  const username = `${Math.floor(expiresAt / 1000)}:${userId}`;
  const credential = createHmac('sha1', config.secret).update(username).digest('base64');
  return { iceServer: { urls: config.urls, username, credential }, expiresAt };
}
