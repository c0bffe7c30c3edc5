/**
 * Masking secrets in logs, in two layers:
 *   - REDACTED_LOG_PATHS: pino replaces these fields whatever they hold (a structured `token`,
 *     `password`, `authorization`… at the top level or one object down);
 *   - scrubLogText: every written line (and every exported file) is searched for secrets inside
 *     strings: a session token in a URL or an error message, the browser host's `?k=` key, an
 *     Authorization or Cookie header, `password=…`. Session tokens, the bridge key and cookie and
 *     the mirror key are all 32 random bytes in hex, so any run of 64 or more hex digits is masked
 *     too, whatever surrounds it (ids stay readable: UUIDs, 32-digit session ids, the 40-digit
 *     hashes in direct conversations' ids; a file's SHA-256 is masked along with the secrets).
 * The patterns never eat a quote or a backslash, so a JSON line stays JSON after scrubbing.
 */

export const REDACTED = '[redacted]';

const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'authorization',
  'cookie',
  'key',
  'mirrorKey',
  'secret',
  // Message text is the person's, not the log's.
  'text',
];

export const REDACTED_LOG_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

/** A value's characters: up to a quote, backslash, white space or separator. */
const VALUE = `[^"'\\\\\\s&,;}]+`;

/** A secret's name and what joins it to its value (`password=`, `"token": `, `\\"key\\":`). */
const SECRET_KEY = `\\b(password|passwd|currentPassword|newPassword|token|access_token|secret|key|mirrorKey)(\\\\?["']?\\s*[:=]\\s*)`;

const RULES: ReadonlyArray<[RegExp, string]> = [
  // Whole header values: `Authorization: Bearer …`, `"cookie":"a=b; c=d"` (up to the quote or line end).
  [/\b((?:set-)?cookie|authorization)(\\?["']?\s*[:=]\s*\\?["']?)[^"\\\r\n]+/gi, `$1$2${REDACTED}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // A query parameter carrying a secret: the browser host's one-time `?k=`, `token=`, `key=`.
  [new RegExp(`([?&](?:k|key|token|access_token|auth)=)${VALUE}`, 'gi'), `$1${REDACTED}`],
  // `password=…`, `"token": "…"`, `mirrorKey: …` written into a string: a quoted value up to its
  // closing quote (a password may hold spaces), JSON-escaped quotes first, else up to a separator.
  [new RegExp(`${SECRET_KEY}\\\\"(?:(?!\\\\").)*\\\\"`, 'gi'), `$1$2\\"${REDACTED}\\"`],
  [new RegExp(`${SECRET_KEY}"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1$2"${REDACTED}"`],
  [new RegExp(`${SECRET_KEY}'[^'\\\\\\r\\n]*'`, 'gi'), `$1$2'${REDACTED}'`],
  [new RegExp(`${SECRET_KEY}(?!\\\\?["'])${VALUE}`, 'gi'), `$1$2${REDACTED}`],
  // The browser host's session cookie, wherever it is quoted.
  [/(messenger_session_\d+=)[^;"'\\\s]+/g, `$1${REDACTED}`],
  [/(?<![0-9a-f])[0-9a-f]{64,}(?![0-9a-f])/gi, REDACTED],
];

/** The text with every secret it visibly holds replaced by "[redacted]". */
export function scrubLogText(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of RULES) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}
