import { describe, expect, it } from 'vitest';
import { cookieValues, createBridgeLock, sameSecret, sessionCookieName } from '../../../main/browser/bridge-lock.js';

const KEY = '1f'.repeat(32);
const SESSION = 'e0'.repeat(32);

function lockOn(port: number) {
  const secrets = [KEY, SESSION];
  const asked: number[] = [];
  const lock = createBridgeLock({
    port,
    random: {
      hex: (bytes) => {
        asked.push(bytes);
        return secrets.shift()!;
      },
    },
  });
  return { lock, asked };
}

describe('createBridgeLock', () => {
  it('draws a 256-bit key and session from the injected randomness', () => {
    const { lock, asked } = lockOn(5173);
    expect(lock.key).toBe(KEY);
    expect(asked).toEqual([32, 32]);
  });

  it('trades the right key once for an HttpOnly, SameSite=Strict cookie named after the port', () => {
    const { lock } = lockOn(5173);
    expect(lock.exchange(KEY)).toBe(`messenger_session_5173=${SESSION}; Path=/; HttpOnly; SameSite=Strict`);
    expect(lock.exchange(KEY)).toBeNull();
  });

  it('refuses wrong keys, and they do not spend the right one', () => {
    const { lock } = lockOn(5173);
    for (const wrong of ['', SESSION, KEY.slice(1), `${KEY} `, KEY.toUpperCase(), `${KEY}${KEY}`]) {
      expect(lock.exchange(wrong), wrong).toBeNull();
    }
    expect(lock.exchange(KEY)).not.toBeNull();
  });

  it('admits only its own session under its own name', () => {
    const { lock } = lockOn(5173);
    expect(lock.admits(`messenger_session_5173=${SESSION}`)).toBe(true);
    expect(lock.admits(`theme=dark; messenger_session_5173=${SESSION}; x=1`)).toBe(true);
    // A stale cookie next to the current one (two paths): the current one counts.
    expect(lock.admits(`messenger_session_5173=old; messenger_session_5173=${SESSION}`)).toBe(true);
    for (const header of [
      undefined,
      '',
      SESSION,
      `messenger_session_5174=${SESSION}`,
      `messenger_session_5173=${KEY}`,
      `messenger_session_5173=${SESSION.slice(2)}`,
      `messenger_session_5173=${SESSION}x`,
      `xmessenger_session_5173=${SESSION}`,
      ['a=1', `messenger_session_5173=${SESSION}`],
    ]) {
      expect(lock.admits(header), String(header)).toBe(false);
    }
  });
});

describe('cookie helpers', () => {
  it('reads every value of one name from a Cookie header', () => {
    expect(cookieValues('a=1; b=2;c=3 ; a = 4', 'a')).toEqual(['1', '4']);
    expect(cookieValues('a=x=y', 'a')).toEqual(['x=y']);
    expect(cookieValues('flag; a', 'a')).toEqual([]);
    expect(cookieValues(undefined, 'a')).toEqual([]);
    expect(sessionCookieName(80)).toBe('messenger_session_80');
  });

  it('compares secrets whatever their lengths', () => {
    expect(sameSecret(KEY, KEY)).toBe(true);
    expect(sameSecret(KEY, KEY.slice(0, -1))).toBe(false);
    expect(sameSecret('', '')).toBe(true);
    expect(sameSecret('', KEY)).toBe(false);
  });
});
