/**
 * Locations in the renderer (issue 33): the "Location" dialog's rules, the current position and
 * why there is none, sending one, and the card its message shows.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttachmentView, MessageView } from '../../../sync/app-api/contract.js';
import { DEFAULT_PREFERENCES } from '../../../sync/app-api/preferences.js';
import { describeError } from '../../../renderer/state/errors.js';
import { en } from '../../../renderer/i18n/en.js';
import { formatTime } from '../../../renderer/format/time.js';
import { isPlaceName, typedPoint } from '../../../renderer/state/location-draft.js';
import { currentPosition, watchPosition, type GeolocationPage } from '../../../renderer/transport/geolocation.js';
import { FakeApi, message, settle, storesOnFakes, summary } from './fake-api.js';
import { bubbleMarkup } from './markup.js';

const { start } = storesOnFakes();

describe('the Location dialog’s rules', () => {
  it('takes coordinates in range, with a decimal point or comma, and nothing else', () => {
    expect(typedPoint('59.906012', '10.741453')).toEqual({ lat: 59.906012, lon: 10.741453 });
    expect(typedPoint(' -33,8688 ', '151,2093')).toEqual({ lat: -33.8688, lon: 151.2093 });
    for (const [lat, lon] of [
      ['91', '0'],
      ['0', '-180.5'],
      ['', '10'],
      ['north', '10'],
      ['1e3', '0'],
      ['59.9, 10.7', '0'],
    ] as const) {
      expect(typedPoint(lat, lon), `${lat} ${lon}`).toBeNull();
    }
  });

  it('takes a short place name on one line, or none', () => {
    expect(isPlaceName('')).toBe(true);
    expect(isPlaceName('Harbour')).toBe(true);
    expect(isPlaceName('x'.repeat(101))).toBe(false);
  });
});

describe('the current position', () => {
  const fix = (coords: { latitude: number; longitude: number }): GeolocationPage['navigator'] => ({
    geolocation: { getCurrentPosition: (found) => found({ coords }) },
  });
  const failing = (code: number): GeolocationPage['navigator'] => ({
    geolocation: { getCurrentPosition: (_found, failed) => failed({ code }) },
  });

  it('is the system’s fix, rounded to 6 decimals, asked for only while it is awaited', async () => {
    const asks: boolean[] = [];
    const page: GeolocationPage = {
      navigator: fix({ latitude: 59.90601234, longitude: 10.7414536 }),
      messenger: { askingLocation: async (on) => void asks.push(on) },
    };
    expect(await currentPosition(page)).toEqual({ lat: 59.906012, lon: 10.741454 });
    expect(asks).toEqual([true, false]);
  });

  it('watches only once the host was told it is asked (Electron grants it then), until stopped', async () => {
    const events: string[] = [];
    let granted!: () => void;
    const page: GeolocationPage = {
      navigator: {
        geolocation: {
          getCurrentPosition: () => undefined,
          watchPosition: (found) => {
            events.push('watch');
            found({ coords: { latitude: 1.0000004, longitude: 2 } });
            return 7;
          },
          clearWatch: (id) => void events.push(`clear ${id}`),
        },
      },
      messenger: {
        askingLocation: (on) => {
          events.push(`asking ${on}`);
          return on ? new Promise<void>((resolve) => (granted = resolve)) : Promise.resolve();
        },
      },
    };
    const fixes: unknown[] = [];
    const stop = watchPosition(page, (point) => fixes.push(point))!;
    await Promise.resolve();
    expect(events).toEqual(['asking true']);
    granted();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events).toEqual(['asking true', 'watch']);
    expect(fixes).toEqual([{ lat: 1, lon: 2 }]);
    stop();
    expect(events).toEqual(['asking true', 'watch', 'clear 7', 'asking false']);

    // Stopped before the host answered: no watch ever starts.
    const early = watchPosition(page, () => undefined)!;
    early();
    granted();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(events.slice(4)).toEqual(['asking true', 'asking false']);
  });

  it('says why there is none: no provider, refused, or not found', async () => {
    expect(await currentPosition({})).toBe('unavailable');
    expect(await currentPosition({ navigator: failing(1) })).toBe('denied');
    expect(await currentPosition({ navigator: failing(2) })).toBe('notFound');
    expect(await currentPosition({ navigator: failing(3) })).toBe('notFound');
    // Each has words of its own in the dialog.
    for (const reason of ['unavailable', 'denied', 'notFound'] as const) expect(en.newLocation[reason]).toMatch(/\w/u);
  });
});

describe('a location message', () => {
  async function openWith(view: Partial<MessageView>) {
    const api = new FakeApi();
    api.conversations = [summary({ id: 'c1' })];
    api.histories.set('c1', { messages: [message({ id: 'l1', conversationId: 'c1', seq: 1, ...view })], readSeq: 1 });
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    return { api, store };
  }

  it('shows its place name as text, its coordinates, and a link to OpenStreetMap that leaves the app', async () => {
    const { store } = await openWith({ text: '<b>Harbour</b>', location: { lat: 59.906012, lon: 10.7, live: null } });
    const html = await bubbleMarkup(store, store.getState().open!.messages[0]!);
    expect(html).toContain('role="group" aria-label="Location"');
    expect(html).toContain('&lt;b&gt;Harbour&lt;/b&gt;');
    expect(html).toContain('59.906012, 10.700000');
    const link = /<a [^>]*>Open in OpenStreetMap<\/a>/u.exec(html)?.[0];
    expect(link).toContain('href="https://www.openstreetmap.org/?mlat=59.906012&amp;mlon=10.700000#map=16/59.906012/10.700000"');
    expect(link).toContain('target="_blank"');
    expect(link).toContain('rel="noopener noreferrer"');
  });

  it('says until when a live one moves, and offers its author alone "Stop sharing", which stops it', async () => {
    const until = Date.now() + 60 * 60_000;
    const live = { lat: 1, lon: 2, live: { until, stopped: false } };
    const theirs = await openWith({ text: '', location: live });
    const html = await bubbleMarkup(theirs.store, theirs.store.getState().open!.messages[0]!);
    expect(html).toContain(`Live until ${formatTime(until)}`);
    expect(html).not.toContain('Stop sharing');

    const { api, store } = await openWith({ text: '', own: true, location: live });
    expect(await bubbleMarkup(store, store.getState().open!.messages[0]!)).toContain('>Stop sharing</button>');
    await store.getState().actions.stopSharing('c1', 'l1');
    expect(api.callsOf('stopLiveLocation')).toEqual([{ conversationId: 'c1', messageId: 'l1' }]);
    const stopped = { ...live, live: { until, stopped: true } };
    const after = await bubbleMarkup(store, { ...store.getState().open!.messages[0]!, location: stopped });
    expect(after).toContain('Live location ended');
    expect(after).not.toContain('Stop sharing');
  });

  it('shows its map snapshot, named by its place, with the map data’s attribution, and no pin card', async () => {
    const map: AttachmentView = {
      index: 0,
      name: 'map.png',
      sha256: 'e'.repeat(64),
      size: 9000,
      mime: 'image/png',
      kind: 'image',
      width: 600,
      height: 300,
      preview: null,
      durationMs: null,
      localUrl: `files/${'e'.repeat(64)}`,
      transfer: null,
    };
    const point = { lat: 59.906012, lon: 10.7, live: null };
    const { store } = await openWith({ text: 'Harbour', location: point, attachments: [map] });
    const html = await bubbleMarkup(store, store.getState().open!.messages[0]!);
    expect(html).toMatch(/<img [^>]*alt="Map of Harbour"/u);
    expect(html).toContain('© OpenStreetMap contributors');
    expect(html).toContain('Open in OpenStreetMap');
    expect(html.match(/<img /gu)).toHaveLength(1);
    const unnamed = await bubbleMarkup(store, { ...store.getState().open!.messages[0]!, text: '' });
    expect(unnamed).toMatch(/<img [^>]*alt="Map"/u);
  });

  it('is sent with a map snapshot when a tile server is set, and without one when it cannot be made', async () => {
    const { api, store } = await openWith({ text: 'hello' });
    await store.getState().actions.sendLocation('c1', { lat: 1.5, lon: -2.25 }, 'Pier');
    expect(api.callsOf('makeMapSnapshot')).toEqual([]);

    api.preferences = { ...DEFAULT_PREFERENCES, mapTileUrl: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png' };
    await store.getState().actions.setPreferences({ mapTileUrl: api.preferences.mapTileUrl });
    const withMap = await store.getState().actions.sendLocation('c1', { lat: 1.5, lon: -2.25 }, 'Pier');
    expect(withMap.mapFailure).toBeNull();
    expect(api.callsOf('makeMapSnapshot')).toEqual([{ lat: 1.5, lon: -2.25 }]);
    expect(api.callsOf('sendLocation').at(-1)).toMatchObject({ snapshot: { sha256: 'd'.repeat(64), width: 600, height: 300 } });

    api.mapSnapshotFailure = 'map_unreachable';
    const without = await store.getState().actions.sendLocation('c1', { lat: 3, lon: 4 }, '');
    expect(api.callsOf('sendLocation').at(-1)).toEqual({ conversationId: 'c1', lat: 3, lon: 4, name: '' });
    expect(without.message.location).toMatchObject({ lat: 3, lon: 4 });
    expect(describeError(without.mapFailure?.error)).toBe('the tile server couldn’t be reached.');
  });

  it('is sent to the conversation the dialog was opened in and shows at once', async () => {
    const { api, store } = await openWith({ text: 'hello' });
    await store.getState().actions.sendLocation('c1', { lat: 1.5, lon: -2.25 }, 'Pier');
    await settle();
    expect(api.callsOf('sendLocation')).toEqual([{ conversationId: 'c1', lat: 1.5, lon: -2.25, name: 'Pier' }]);
    expect(store.getState().open!.messages.at(-1)).toMatchObject({
      text: 'Pier',
      location: { lat: 1.5, lon: -2.25, live: null },
    });
  });
});

describe('a live location shared from this device', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is watched again when the app starts signed in, each fix reported, and no longer once signed out', async () => {
    const watch: string[] = [];
    let found: ((position: { coords: { latitude: number; longitude: number } }) => void) | null = null;
    vi.stubGlobal('navigator', {
      geolocation: {
        getCurrentPosition: () => undefined,
        watchPosition: (onFix: NonNullable<typeof found>) => {
          watch.push('watch');
          found = onFix;
          return 3;
        },
        clearWatch: (id: number) => void watch.push(`clear ${id}`),
      },
    });
    const api = new FakeApi();
    api.liveLocationsHere = [{ conversationId: 'c1', messageId: 'm1', until: Date.now() + 60_000 }];
    await start(api);
    await settle();
    expect(api.callsOf('liveLocationsSharedHere')).toHaveLength(1);
    expect(watch).toEqual(['watch']);

    found!({ coords: { latitude: 51.5000004, longitude: -0.12 } });
    await settle();
    expect(api.callsOf('reportLiveLocation')).toEqual([{ conversationId: 'c1', messageId: 'm1', lat: 51.5, lon: -0.12 }]);

    api.session = null;
    api.emit({ type: 'session', session: null });
    await settle();
    expect(watch).toEqual(['watch', 'clear 3']);
  });
});
