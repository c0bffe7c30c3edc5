import Database from 'better-sqlite3-multiple-ciphers';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ftsQuery, queryWords, snippet, type SnippetPart } from '../../../sync/common/search-text.js';

/** The mirror's index definition, on a table of a few texts. */
const db = new Database(':memory:');
db.exec(
  "CREATE VIRTUAL TABLE texts USING fts5(text, names, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
);
const insert = db.prepare('INSERT INTO texts (rowid, text, names) VALUES (?, ?, ?)');
[
  'The parcel was delivered on Monday',
  'Привет, как дела?',
  'Їжак у тумані',
  'Un café très noir',
  'Deliveries NEAR the "old" station - (north)',
].forEach((text, index) => insert.run(index + 1, text, ''));
afterAll(() => db.close());

const search = db.prepare('SELECT rowid FROM texts WHERE texts MATCH ? ORDER BY rowid');
function find(query: string): number[] {
  const fts = ftsQuery(query);
  return fts === null ? [] : (search.all(fts) as { rowid: number }[]).map((row) => row.rowid);
}

const marked = (parts: SnippetPart[]) => parts.map((part) => (part.match ? `[${part.text}]` : part.text)).join('');

describe('search queries', () => {
  it('finds words in any order, by prefix, whatever their case and accents, Cyrillic included', () => {
    expect(find('deliv')).toEqual([1, 5]);
    expect(find('monday PARCEL')).toEqual([1]);
    expect(find('привет')).toEqual([2]);
    expect(find('ПРИВ')).toEqual([2]);
    expect(find('їжак')).toEqual([3]);
    expect(find('cafe tres')).toEqual([4]);
    expect(find('café')).toEqual([4]);
    expect(find('delivered tuesday')).toEqual([]);
  });

  it('reads nothing typed as query syntax: quotes, stars, NEAR, minus, brackets, column filters', () => {
    expect(find('"old')).toEqual([5]);
    expect(find('NEAR(deliveries station)')).toEqual([5]);
    expect(find('-north')).toEqual([5]);
    expect(find('station: north')).toEqual([5]);
    expect(ftsQuery('text: station*')).toBe('"text"* "station"*');
    expect(find('deliv* OR привет')).toEqual([]);
    expect(ftsQuery('*** ((( """ ---')).toBeNull();
    expect(ftsQuery('')).toBeNull();
  });

  it('keeps a long query bounded: 10,000 characters become at most 16 words of at most 64 characters', () => {
    const words = queryWords(`${'x'.repeat(100)} ${Array.from({ length: 5000 }, (_, i) => `w${i}`).join(' ')}`);
    expect(words).toHaveLength(16);
    expect(words[0]).toHaveLength(64);
    expect(queryWords('same Same SAME')).toEqual(['same']);
  });

  it('never fails: any string is a valid query or none at all', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (typed) => {
        expect(() => find(typed)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('"', '*', '(', ')', '-', '^', ':', 'NEAR', 'OR', 'AND', 'NOT', ' ', 'a', 'я')),
        (parts) => {
          expect(() => find(parts.join(''))).not.toThrow();
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('snippets', () => {
  it('marks the words the query found, as parts of plain text', () => {
    expect(marked(snippet('The parcel was delivered on Monday', queryWords('deliv mon')))).toBe(
      'The parcel was [delivered] on [Monday]',
    );
    expect(marked(snippet('Un café très noir', queryWords('cafe')))).toBe('Un [café] très noir');
    expect(marked(snippet('<b>bold</b> words', queryWords('bold')))).toBe('<b>[bold]</b> words');
  });

  it('shows the part of a long text around the first match, cut at whole words', () => {
    const text = `${'lorem ipsum '.repeat(30)}the needle is here ${'dolor sit '.repeat(30)}`;
    const parts = snippet(text, queryWords('needle'), 60);
    const shown = marked(parts);
    expect(shown.startsWith('…')).toBe(true);
    expect(shown.endsWith('…')).toBe(true);
    expect(shown).toContain('[needle]');
    expect(shown.replace(/[…[\]]/g, '').length).toBeLessThanOrEqual(60 + 12);
    // Cut at whole words: every word shown is a word of the text.
    const words = new Set(text.split(' '));
    for (const word of shown
      .replace(/[…[\]]/g, '')
      .trim()
      .split(' '))
      expect(words.has(word)).toBe(true);
  });

  it('without a match (a file name matched instead) starts at the beginning', () => {
    expect(marked(snippet('Here is the report', queryWords('budget')))).toBe('Here is the report');
  });
});
