import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeText, fromRow, toParameter, unescapeText } from '../../../sync/server/store/pg-text.js';

/** Strings rich in the two characters the escape is about. */
const text = fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\u0002', 'a', '\u00e9', '\u{1f600}') });

/** Code point order (what COLLATE "C" compares by), as -1, 0 or 1. */
function compare(a: string, b: string): number {
  const [x, y] = [[...a].map((c) => c.codePointAt(0)!), [...b].map((c) => c.codePointAt(0)!)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return Math.sign(x[i]! - y[i]!);
  return Math.sign(x.length - y.length);
}

describe('text PostgreSQL cannot hold as it came', () => {
  it('is escaped without U+0000, read back as it was, and keeps code point order', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(escapeText(a)).not.toContain('\u0000');
        expect(unescapeText(escapeText(a))).toBe(a);
        expect(compare(escapeText(a), escapeText(b))).toBe(compare(a, b));
      }),
    );
  });

  it('passes text without either character through unchanged', () => {
    expect(escapeText('plain ✓ text')).toBe('plain ✓ text');
    expect(unescapeText('plain ✓ text')).toBe('plain ✓ text');
  });

  it('escapes every string a statement gets, in arrays and in JSON, and unescapes every string of a row', () => {
    const odd = 'x\u0000y';
    expect(toParameter(odd)).toBe('x\u0001\u0001y');
    expect(toParameter([odd, 7, null])).toEqual(['x\u0001\u0001y', 7, null]);
    expect(JSON.parse(toParameter({ name: odd, list: [odd] }) as string)).toEqual({
      name: 'x\u0001\u0001y',
      list: ['x\u0001\u0001y'],
    });
    expect(fromRow({ id: 'x\u0001\u0001y', payload: { members: [{ name: 'x\u0001\u0002' }] }, seq: 3 })).toEqual({
      id: odd,
      payload: { members: [{ name: 'x\u0001' }] },
      seq: 3,
    });
  });
});
