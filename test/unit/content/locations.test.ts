/**
 * Locations' rules (issue 33): what a location message may be, and that its place name is kept as
 * sent. Every receiving device judges these with the same schema and rule.
 */
import { describe, expect, it } from 'vitest';
import { decodeContent } from '../../../sync/content/content.js';
import { refuseContent, type ChangeTarget, type ContentSender } from '../../../sync/content/rules.js';
import { openStreetMapUrl, roundCoordinate } from '../../../sync/common/locations.js';

const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
const harbour = { lat: 59.906012, lon: 10.741453 };
const ann: ContentSender = { id: 'ann', role: 'member', conversationKind: 'group' };
const annsLocation: ChangeTarget = { authorId: 'ann', deleted: false, senderEmojis: new Set(), poll: null, location: harbour };

describe('a location as content', () => {
  const location = (fields: object) => bytes({ kind: 'message', text: 'Harbour', location: harbour, ...fields });

  it('is a message whose text is a short place name, possibly none, with a point beside it', () => {
    expect(decodeContent(location({}))).toMatchObject({ text: 'Harbour', location: harbour });
    expect(decodeContent(location({ text: '' }))).toMatchObject({ text: '', location: harbour });
    expect(() => decodeContent(location({ text: 'x'.repeat(101) }))).toThrow();
    expect(() => decodeContent(location({ text: 'Harbour\nPier 2' }))).toThrow();
    expect(() => decodeContent(location({ poll: { options: ['a', 'b'], multiple: false } }))).toThrow();
  });

  it('takes only coordinates in range, with at most 6 decimals', () => {
    for (const point of [
      { lat: 90.000001, lon: 0 },
      { lat: -91, lon: 0 },
      { lat: 0, lon: 180.5 },
      { lat: 0, lon: -181 },
      { lat: 59.9060121, lon: 10 },
      { lat: 'north', lon: 10 },
      { lat: 0 },
    ]) {
      expect(() => decodeContent(location({ location: point })), JSON.stringify(point)).toThrow();
    }
    // JSON has no infinity: it arrives as null, which is no coordinate either.
    expect(() => decodeContent(location({ location: { lat: Infinity, lon: 0 } }))).toThrow();
    expect(decodeContent(location({ location: { lat: -90, lon: 180 } }))).toMatchObject({ location: { lat: -90, lon: 180 } });
  });

  it('keeps its place name as sent: nobody edits it', () => {
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'Elsewhere' }, ann, annsLocation)).toBe('not_allowed');
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'fixed' }, ann, { ...annsLocation, location: null })).toBeNull();
  });
});

describe('a point', () => {
  it('is rounded to 6 decimals, whatever a fix reports', () => {
    expect(roundCoordinate(59.90601234)).toBe(59.906012);
    expect(roundCoordinate(-10.7414536)).toBe(-10.741454);
  });

  it('opens in OpenStreetMap with a marker at street level', () => {
    expect(openStreetMapUrl(harbour)).toBe(
      'https://www.openstreetmap.org/?mlat=59.906012&mlon=10.741453#map=16/59.906012/10.741453',
    );
  });
});
