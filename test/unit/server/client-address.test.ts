/** Whose address a request is counted under: the peer's, or whom a trusted proxy forwards for. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressResolver, limitKey } from '../../../sync/server/client-address.js';

function request(peer: string | undefined, forwardedFor?: string): IncomingMessage {
  return {
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('clientAddressResolver', () => {
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    const addressOf = clientAddressResolver(['10.0.0.2']);
    expect(addressOf(request('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
    expect(clientAddressResolver([])(request('198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
  });

  it('takes the right-most address that is not a trusted proxy, from a trusted one', () => {
    const addressOf = clientAddressResolver(['10.0.0.2', '10.0.0.3']);
    expect(addressOf(request('10.0.0.2', '203.0.113.7'))).toBe('203.0.113.7');
    // What the client wrote itself stands left of what the proxies appended.
    expect(addressOf(request('10.0.0.2', '1.2.3.4, 203.0.113.7'))).toBe('203.0.113.7');
    // Two proxies in a row: the inner one's entry is skipped.
    expect(addressOf(request('10.0.0.2', '1.2.3.4, 203.0.113.7, 10.0.0.3'))).toBe('203.0.113.7');
    expect(addressOf(request('10.0.0.2', '2001:DB8::1'))).toBe('2001:db8::/64');
  });

  it('falls back to the peer when the proxy forwarded nothing usable', () => {
    const addressOf = clientAddressResolver(['10.0.0.2']);
    expect(addressOf(request('10.0.0.2'))).toBe('10.0.0.2');
    expect(addressOf(request('10.0.0.2', '10.0.0.2'))).toBe('10.0.0.2');
    expect(addressOf(request('10.0.0.2', '1.2.3.4, not-an-address'))).toBe('10.0.0.2');
    expect(addressOf(request(undefined))).toBe('unknown');
  });

  it('knows an IPv4 proxy on a dual-stack socket (::ffff:10.0.0.2)', () => {
    const addressOf = clientAddressResolver(['10.0.0.2']);
    expect(addressOf(request('::ffff:10.0.0.2', '203.0.113.7'))).toBe('203.0.113.7');
    expect(addressOf(request('::ffff:198.51.100.9', '203.0.113.7'))).toBe('198.51.100.9');
  });

  it('counts IPv6 by its /64, which one subscriber holds whole, and IPv4 by the address', () => {
    const addressOf = clientAddressResolver([]);
    expect(addressOf(request('2001:db8:1:2:aaaa::1'))).toBe('2001:db8:1:2::/64');
    expect(addressOf(request('2001:db8:1:2:ffff:ffff:ffff:fffe'))).toBe('2001:db8:1:2::/64');
    expect(addressOf(request('2001:db8:1:3::1'))).toBe('2001:db8:1:3::/64');
    expect(addressOf(request('::ffff:198.51.100.9'))).toBe('198.51.100.9');
    expect(limitKey('198.51.100.9')).toBe('198.51.100.9');
    expect(limitKey('::1')).toBe('::/64');
    expect(limitKey('2001:db8::')).toBe('2001:db8::/64');
    expect(limitKey('2001:DB8:0:0:1::')).toBe('2001:db8::/64');
    expect(limitKey('fe80::1%eth0')).toBe('fe80::/64');
    expect(limitKey('64:ff9b::192.0.2.33')).toBe('64:ff9b::/64');
    expect(limitKey('1:2:3:4:5:6:7:8')).toBe('1:2:3:4::/64');
    expect(limitKey('0:0:0:1::')).toBe('0:0:0:1::/64');
  });

  it('takes only IP addresses as trusted proxies', () => {
    expect(() => clientAddressResolver(['lb.internal'])).toThrow(/must be an IP address/);
    expect(() => clientAddressResolver(['10.0.0.0/8'])).toThrow(/must be an IP address/);
  });
});
