/** This device's preferences in the renderer store, and the theme they give the page. */
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_PREFERENCES } from '../../../sync/app-api/preferences.js';
import { silentCallMedia, type CallDevices } from '../../../renderer/calls/media-engine.js';
import { applyTheme, followTheme, type ThemeRoot } from '../../../renderer/state/preferences.js';
import { createAppStore } from '../../../renderer/state/store.js';
import { connectedLink, FakeApi, settle, storesOnFakes } from './fake-api.js';

const { start, started } = storesOnFakes();

describe('preferences in the renderer store', () => {
  it('are read at start, signed out too', async () => {
    const api = new FakeApi();
    api.session = null;
    api.preferences = { ...DEFAULT_PREFERENCES, theme: 'dark' };
    const store = await start(api);
    expect(store.getState().phase).toBe('signedOut');
    expect(store.getState().preferences).toEqual({ ...DEFAULT_PREFERENCES, theme: 'dark' });
  });

  it('a change is shown at once and then is what the core answered', async () => {
    const api = new FakeApi();
    const store = await start(api);
    const held = api.hold('setPreferences');
    const changing = store.getState().actions.setPreferences({ workOffline: true });
    expect(store.getState().preferences?.workOffline).toBe(true);
    held.release();
    await changing;
    expect(api.callsOf('setPreferences')).toEqual([{ workOffline: true }]);
    expect(store.getState().preferences).toEqual({ ...DEFAULT_PREFERENCES, workOffline: true });
  });

  it('a change the core refuses is taken back, and the caller hears why', async () => {
    const client = new FakeApi().client();
    const refusing = { ...client, setPreferences: () => Promise.reject(new Error('disk full')) };
    const store = started(createAppStore(refusing, connectedLink));
    await settle();
    await expect(store.getState().actions.setPreferences({ theme: 'dark' })).rejects.toThrow('disk full');
    expect(store.getState().preferences).toEqual(DEFAULT_PREFERENCES);
  });

  it('are read again when the core says they changed (the tray, --offline)', async () => {
    const api = new FakeApi();
    const store = await start(api);
    api.preferences = { ...DEFAULT_PREFERENCES, workOffline: true };
    api.emit({ type: 'preferences' });
    await settle();
    expect(store.getState().preferences?.workOffline).toBe(true);
  });

  it('give the call media the microphone and camera chosen, once read and again on each change', async () => {
    const api = new FakeApi();
    api.preferences = { ...DEFAULT_PREFERENCES, microphoneId: 'mic-a' };
    const useDevices = vi.fn((_devices: CallDevices) => {});
    started(createAppStore(api.client(), connectedLink, () => Object.assign(silentCallMedia(), { useDevices })));
    await settle();
    expect(useDevices).toHaveBeenLastCalledWith({ microphoneId: 'mic-a', cameraId: null });
    api.preferences = { ...DEFAULT_PREFERENCES, microphoneId: 'mic-a', cameraId: 'cam-b', speakerId: 'out-c' };
    api.emit({ type: 'preferences' });
    await settle();
    expect(useDevices).toHaveBeenLastCalledWith({ microphoneId: 'mic-a', cameraId: 'cam-b' });
    // Both engines have it: the one-to-one calls' and the group calls'.
    expect(useDevices.mock.calls.filter(([devices]) => devices.cameraId === 'cam-b')).toHaveLength(2);
  });
});

describe('the theme on the page', () => {
  const root = (): ThemeRoot => ({ dataset: {} });

  it('is the system’s until the preferences are known, then follows them', () => {
    const page = root();
    let theme: 'system' | 'light' | 'dark' | null = null;
    let changed = () => {};
    const stop = followTheme(
      () => (theme === null ? null : { ...DEFAULT_PREFERENCES, theme }),
      (listener) => {
        changed = listener;
        return () => (changed = () => {});
      },
      page,
    );
    expect(page.dataset.theme).toBe('system');
    theme = 'dark';
    changed();
    expect(page.dataset.theme).toBe('dark');
    theme = 'light';
    changed();
    expect(page.dataset.theme).toBe('light');
    stop();
    theme = 'dark';
    changed();
    expect(page.dataset.theme).toBe('light');
  });

  it('applyTheme leaves an attribute that is already right alone', () => {
    let writes = 0;
    const values: Record<string, string | undefined> = {};
    const page: ThemeRoot = {
      dataset: new Proxy(values, {
        set(target, key, value: string) {
          writes++;
          target[key as string] = value;
          return true;
        },
      }),
    };
    applyTheme(page, 'dark');
    applyTheme(page, 'dark');
    expect(writes).toBe(1);
  });
});
