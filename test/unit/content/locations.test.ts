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

const location = (fields: object) => bytes({ kind: 'message', text: 'Harbour', location: harbour, ...fields });

describe('a location as content', () => {
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

describe('a live location’s moves and stop', () => {
  const live: ChangeTarget = { ...annsLocation, location: { ...harbour, live: { until: 10_000 } } };
  const ben: ContentSender = { ...ann, id: 'ben', role: 'owner' };
  const move = (at: number) => ({ kind: 'location_move', messageId: 'm1', lat: 59.9, lon: 10.7, at }) as const;
  const stop = { kind: 'location_stop', messageId: 'm1', at: 5000 } as const;

  it('takes a move only from the author, only until its until', () => {
    expect(refuseContent(move(9000), ann, live)).toBeNull();
    expect(refuseContent(move(10_000), ann, live)).toBeNull();
    expect(refuseContent(move(10_001), ann, live)).toBe('not_allowed');
    expect(refuseContent(move(9000), ben, live)).toBe('not_author');
    expect(refuseContent(move(9000), ann, annsLocation)).toBe('not_allowed');
    expect(refuseContent(move(9000), ann, { ...live, deleted: true })).toBe('message_deleted');
    expect(refuseContent(move(9000), ann, { ...live, location: null })).toBe('not_allowed');
    expect(refuseContent(move(9000), ann, null)).toBe('no_such_message');
    expect(() => decodeContent(bytes({ ...move(9000), lat: 91 }))).toThrow();
    expect(() => decodeContent(bytes({ ...move(9000), lat: 59.1234567 }))).toThrow();
  });

  it('takes a stop from the author (any of their devices) only', () => {
    expect(refuseContent(stop, ann, live)).toBeNull();
    expect(refuseContent(stop, ben, live)).toBe('not_author');
    expect(refuseContent(stop, ann, annsLocation)).toBe('not_allowed');
  });

  it('is a location whose until is a time', () => {
    expect(decodeContent(location({ location: { ...harbour, live: { until: 10_000 } } }))).toMatchObject({
      location: { live: { until: 10_000 } },
    });
    expect(() => decodeContent(location({ location: { ...harbour, live: { until: -1 } } }))).toThrow();
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
