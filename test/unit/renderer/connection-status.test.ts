/**
 * The connection status's words (renderer/format/connection.ts, shown by ConnectionStatus): Online, Connecting or Offline, and why when
 * offline; an app and a server of different versions are offline, with a hint that says which one
 * to update, in every language.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectionWords } from '../../../renderer/format/connection.js';
import { setLanguage } from '../../../renderer/i18n/index.js';

afterEach(() => setLanguage('en'));

describe('the connection status', () => {
  it('says Offline when the versions differ, and which side to update', () => {
    expect(connectionWords('app_outdated', true, false)).toEqual({
      state: 'offline',
      label: 'Offline',
      hint: 'Update the app: this server no longer works with this version.',
    });
    expect(connectionWords('server_outdated', true, false)).toEqual({
      state: 'offline',
      label: 'Offline',
      hint: 'The server is older than this app. Ask whoever runs it to update it.',
    });
    // Working offline or not, a version mismatch says what it is.
    expect(connectionWords('app_outdated', true, true).hint).toBe(
      'Update the app: this server no longer works with this version.',
    );
    setLanguage('ru');
    const russian = connectionWords('app_outdated', true, false);
    expect(russian.label).toBe('Нет сети');
    expect(russian.hint).toContain('Обновите приложение');
    setLanguage('uk');
    expect(connectionWords('server_outdated', true, false).hint).toContain('Сервер старіший');
  });

  it('says Online, Connecting and Offline as before', () => {
    expect(connectionWords('online', true, false)).toEqual({ state: 'online', label: 'Online', hint: null });
    expect(connectionWords('connecting', true, false)).toEqual({ state: 'connecting', label: 'Connecting…', hint: null });
    expect(connectionWords('offline', true, false).hint).toBe('Messages will be sent when you’re back online');
    expect(connectionWords('online', false, false)).toEqual({
      state: 'connecting',
      label: 'Connecting…',
      hint: 'Reconnecting to the app…',
    });
  });
});
