/**
 * PostgreSQL's text and jsonb cannot hold U+0000, which the protocol allows in ids, texts and names
 * (and SQLite keeps as it came). So every string the store hands PostgreSQL is escaped and every
 * string it reads back is unescaped, with U+0001 as the escape: U+0000 becomes U+0001 U+0001 and
 * U+0001 becomes U+0001 U+0002. The mapping is one-to-one and keeps the order of strings by code
 * point (the schema's COLLATE "C"), so equality, unique keys and ORDER BY agree with SQLite's;
 * text without either character (nearly all) passes unchanged.
 */

export function escapeText(text: string): string {
  if (!text.includes('\u0000') && !text.includes('\u0001')) return text;
  // The escape first, so that the escapes of U+0000 are not escaped again.
  return text.replaceAll('\u0001', '\u0001\u0002').replaceAll('\u0000', '\u0001\u0001');
}

export function unescapeText(text: string): string {
  if (!text.includes('\u0001')) return text;
  // Every U+0001 starts a pair, so scanning left to right finds each U+0001 U+0001 at a pair's start;
  // what is left are U+0001 U+0002 pairs.
  return text.replaceAll('\u0001\u0001', '\u0000').replaceAll('\u0001\u0002', '\u0001');
}

/**
 * A statement parameter as PostgreSQL gets it: strings escaped, arrays (text[], jsonb[]) element by
 * element, and objects as JSON (for jsonb) with every string in them escaped.
 */
export function toParameter(value: unknown): unknown {
  if (typeof value === 'string') return escapeText(value);
  if (Array.isArray(value)) return value.map(toParameter);
  if (value !== null && typeof value === 'object') return JSON.stringify(mapStrings(value, escapeText));
  return value;
}

/** A row as the store reads it: every string in it unescaped, also inside jsonb values. */
export function fromRow<R>(row: R): R {
  return holdsEscape(row) ? mapStrings(row, unescapeText) : row;
}

function holdsEscape(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0001');
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) => key.includes('\u0001') || holdsEscape(item));
}

function mapStrings<T>(value: T, map: (text: string) => string): T {
  if (typeof value === 'string') return map(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => mapStrings(item, map)) as T;
  if (value === null || typeof value !== 'object') return value;
  const mapped: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) mapped[map(key)] = mapStrings(item, map);
  return mapped as T;
}
