/**
 * The small types every frame module spells the same way: ids, request ids, base64 text and
 * device numbers. frames.ts joins the feature modules' frames (keys, the device inbox, envelopes)
 * into its unions, so they cannot import these from it; all of them import them from here.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';

// String.prototype.isWellFormed (ES2024, in Node 20 and every current browser) is native and far
// cheaper than a Unicode regex over every id in a 2,000-event catch-up page.
export const wellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();
export const WELL_FORMED = 'must be valid Unicode text (no lone surrogates)';

export const id = z.string().min(1).max(LIMITS.maxIdChars).refine(wellFormed, WELL_FORMED);
/** What `id` takes, checked by hand (server-frame-validator.ts, call-signal-validator.ts). */
export const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= LIMITS.maxIdChars && wellFormed(value);
export const rid = z.string().min(1).max(LIMITS.maxIdChars);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Base64 text with its padding, of at most `maxChars` characters. */
export const base64 = (maxChars: number) => z.string().min(4).max(maxChars).regex(BASE64, 'must be base64 (with its padding)');
/** What `base64(maxChars)` takes, checked by hand (server-frame-validator.ts). */
export const isBase64 = (value: unknown, maxChars: number): value is string =>
  typeof value === 'string' && value.length >= 4 && value.length <= maxChars && BASE64.test(value);

/** A device of an account, as the server numbers them: libsignal's device ids run 1–127. */
export const deviceNumber = z.number().int().min(1).max(127);
/** What `deviceNumber` takes, checked by hand. */
export const isDeviceNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= 127;
