/** The account last signed in on this device, offered by the sign-in screen: read back only when it is well-formed. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LAST_ACCOUNT_FILE, readLastAccount, writeLastAccount } from '../../../sync/client/last-account.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function profile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'last-account-'));
  dirs.push(dir);
  return dir;
}

describe('the last account', () => {
  it('is written with the server and username only, the owner’s alone, and read back', () => {
    const dir = profile();
    expect(readLastAccount(dir)).toBeNull();
    writeLastAccount(dir, { serverUrl: 'wss://chat.example', username: 'alice' });
    expect(readLastAccount(dir)).toEqual({ serverUrl: 'wss://chat.example', username: 'alice' });
    expect(JSON.parse(readFileSync(join(dir, LAST_ACCOUNT_FILE), 'utf8'))).toEqual({
      serverUrl: 'wss://chat.example',
      username: 'alice',
    });
    expect(statSync(join(dir, LAST_ACCOUNT_FILE)).mode & 0o777).toBe(0o600);
  });

  it('is nothing when the file is damaged or holds something else', () => {
    const dir = profile();
    for (const text of [
      'not json',
      '[]',
      '{"serverUrl":"wss://x"}',
      '{"serverUrl":"wss://x","username":"a","token":"t"}',
      '{"serverUrl":"","username":"a"}',
    ]) {
      writeFileSync(join(dir, LAST_ACCOUNT_FILE), text);
      expect(readLastAccount(dir)).toBeNull();
    }
  });
});
