import { describe, expect, it } from 'vitest';
import { appDataRoot, serverDataDir, webProfileDir } from '../../../main/common/user-dirs.js';

describe('per-user data folder', () => {
  it('follows XDG on Linux', () => {
    expect(appDataRoot({ platform: 'linux', env: {}, homeDir: '/home/ann' })).toBe('/home/ann/.local/share/offline-messenger');
    expect(appDataRoot({ platform: 'linux', env: { XDG_DATA_HOME: '/data' }, homeDir: '/home/ann' })).toBe(
      '/data/offline-messenger',
    );
    // Relative XDG values are invalid per the spec and ignored.
    expect(appDataRoot({ platform: 'linux', env: { XDG_DATA_HOME: 'rel' }, homeDir: '/home/ann' })).toBe(
      '/home/ann/.local/share/offline-messenger',
    );
    expect(serverDataDir({ platform: 'linux', env: {}, homeDir: '/home/ann' })).toBe(
      '/home/ann/.local/share/offline-messenger/server',
    );
    expect(webProfileDir({ platform: 'freebsd', env: {}, homeDir: '/home/ann' })).toBe(
      '/home/ann/.local/share/offline-messenger/web-profile',
    );
  });

  it('uses Application Support on macOS', () => {
    expect(serverDataDir({ platform: 'darwin', env: { XDG_DATA_HOME: '/ignored' }, homeDir: '/Users/ann' })).toBe(
      '/Users/ann/Library/Application Support/offline-messenger/server',
    );
  });

  it('uses %APPDATA% on Windows', () => {
    expect(
      serverDataDir({ platform: 'win32', env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, homeDir: 'C:\\Users\\ann' }),
    ).toBe('C:\\Users\\ann\\AppData\\Roaming\\offline-messenger\\server');
    expect(webProfileDir({ platform: 'win32', env: {}, homeDir: 'C:\\Users\\ann' })).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\offline-messenger\\web-profile',
    );
  });
});
