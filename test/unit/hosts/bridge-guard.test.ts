import { describe, expect, it } from 'vitest';
import { allowedHostHeaders, allowedOrigins, checkBridgeUpgrade, parseBridgeFrame } from '../../../main/browser/bridge-guard.js';

const hosts = allowedHostHeaders(5173, '127.0.0.1');

describe('checkBridgeUpgrade', () => {
  it('accepts the host’s own origins on its own Host names', () => {
    expect([...hosts].sort()).toEqual(['127.0.0.1:5173', 'localhost:5173']);
    expect([...allowedOrigins(hosts)].sort()).toEqual(['http://127.0.0.1:5173', 'http://localhost:5173']);
    expect(checkBridgeUpgrade({ host: '127.0.0.1:5173', origin: 'http://127.0.0.1:5173' }, hosts)).toEqual({ ok: true });
    expect(checkBridgeUpgrade({ host: 'localhost:5173', origin: 'http://localhost:5173' }, hosts)).toEqual({ ok: true });
    expect(checkBridgeUpgrade({ host: 'LOCALHOST:5173', origin: 'http://127.0.0.1:5173' }, hosts)).toEqual({ ok: true });
  });

  it.each([
    [{ host: '127.0.0.1:5173', origin: 'http://evil.example' }, 'foreign Origin'],
    [{ host: '127.0.0.1:5173', origin: 'http://127.0.0.1:5174' }, 'foreign Origin'],
    [{ host: '127.0.0.1:5173', origin: 'https://127.0.0.1:5173' }, 'foreign Origin'],
    [{ host: '127.0.0.1:5173', origin: 'http://127.0.0.1:5173/' }, 'foreign Origin'],
    [{ host: '127.0.0.1:5173', origin: 'null' }, 'foreign Origin'],
    [{ host: '127.0.0.1:5173' }, 'missing Origin header'],
    [{ host: 'evil.example:5173', origin: 'http://evil.example:5173' }, 'foreign Host header'],
    [{ host: 'evil.example:5173', origin: 'http://127.0.0.1:5173' }, 'foreign Host header'],
    [{ host: '127.0.0.1', origin: 'http://127.0.0.1:5173' }, 'foreign Host header'],
    [{ origin: 'http://127.0.0.1:5173' }, 'foreign Host header'],
  ])('refuses %j (%s)', (headers, reason) => {
    expect(checkBridgeUpgrade(headers, hosts)).toEqual({ ok: false, reason });
  });

  it('never allows a wildcard bind address as a Host name', () => {
    expect([...allowedHostHeaders(80, '0.0.0.0')].sort()).toEqual(['127.0.0.1:80', 'localhost:80']);
  });
});

describe('parseBridgeFrame', () => {
  it('reads a well-formed request, defaulting args to {}', () => {
    expect(parseBridgeFrame('{"id":1,"method":"getDefaults","args":{}}')).toEqual({
      ok: true,
      request: { id: 1, method: 'getDefaults', args: {} },
    });
    expect(parseBridgeFrame('{"id":2,"method":"getSession"}')).toEqual({
      ok: true,
      request: { id: 2, method: 'getSession', args: {} },
    });
  });

  it('passes args through untouched (the dispatcher validates them)', () => {
    const parsed = parseBridgeFrame('{"id":3,"method":"sendMessage","args":{"conversationId":5}}');
    expect(parsed).toEqual({ ok: true, request: { id: 3, method: 'sendMessage', args: { conversationId: 5 } } });
  });

  it.each([
    ['not json', null],
    ['[1,2]', null],
    ['null', null],
    ['"text"', null],
    ['{"method":"getDefaults"}', null],
    ['{"id":"1","method":"getDefaults"}', null],
    ['{"id":1.5,"method":"getDefaults"}', null],
    ['{"id":7}', 7],
    ['{"id":8,"method":42}', 8],
    ['{"id":9,"method":"constructor"}', 9],
    ['{"id":10,"method":"__proto__"}', 10],
    ['{"id":11,"method":"dropDatabase"}', 11],
  ])('refuses %s, keeping id %j', (text, id) => {
    const parsed = parseBridgeFrame(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.id).toBe(id);
  });
});
