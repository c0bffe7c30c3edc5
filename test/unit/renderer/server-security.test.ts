/** The sign-in form's warning for addresses that would send passwords and messages in the clear. */
import { describe, expect, it } from 'vitest';
import { unencryptedRemoteServer } from '../../../renderer/format/server-security.js';

describe('unencryptedRemoteServer', () => {
  it('warns for ws:// and http:// to another machine', () => {
    for (const address of [
      'ws://chat.example.com',
      'http://chat.example.com:7878',
      'ws://192.168.1.20:7878',
      ' ws://[fe80::1]:7878 ',
    ]) {
      expect(unencryptedRemoteServer(address), address).toBe(true);
    }
  });

  it('does not warn for encrypted addresses, this computer, or what does not parse', () => {
    for (const address of [
      'wss://chat.example.com',
      'https://chat.example.com',
      'ws://127.0.0.1:7878',
      'http://127.5.0.1',
      'ws://localhost:7878',
      'ws://app.localhost',
      'ws://[::1]:7878',
      'chat.example.com',
      '',
    ]) {
      expect(unencryptedRemoteServer(address), address).toBe(false);
    }
  });

  it('is not fooled by a loopback-looking name that is not loopback', () => {
    expect(unencryptedRemoteServer('ws://127.0.0.1.example.com')).toBe(true);
    expect(unencryptedRemoteServer('ws://localhost.example.com')).toBe(true);
  });
});
