import { describe, expect, it } from 'vitest';
import { addressRange, isAddressAllowed } from '../../../sync/node/link-preview/address-policy.js';

const strict = { allowLoopback: false };
const loopbackAllowed = { allowLoopback: true };

describe('link preview address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.251', 'multicast'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['2001:db8::1', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(addressRange(address)).toBe(range);
    expect(isAddressAllowed(address, strict)).toBe(false);
  });

  it('refuses IPv4-compatible IPv6 addresses', () => {
    expect(isAddressAllowed('::0a00:0001', strict)).toBe(false);
    expect(isAddressAllowed('::5db8:d822', strict)).toBe(false);
  });

  it.each(['93.184.216.34', '1.1.1.1', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34'])(
    'allows the public address %s',
    (address) => {
      expect(addressRange(address)).toBe('unicast');
      expect(isAddressAllowed(address, strict)).toBe(true);
      expect(isAddressAllowed(address, loopbackAllowed)).toBe(true);
    },
  );

  it('allows 127.0.0.1 only when loopback previews are allowed; no other loopback, nothing else private', () => {
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1']) {
      expect(isAddressAllowed(address, strict)).toBe(false);
      expect(isAddressAllowed(address, loopbackAllowed)).toBe(true);
    }
    for (const address of ['127.0.0.2', '127.8.9.10', '::1', '::ffff:127.0.1.1']) {
      expect(isAddressAllowed(address, loopbackAllowed)).toBe(false);
    }
    for (const address of ['10.0.0.1', '169.254.169.254', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1', '0.0.0.0', '100.64.0.1']) {
      expect(isAddressAllowed(address, loopbackAllowed)).toBe(false);
    }
  });

  it('refuses what is not an IP address', () => {
    expect(addressRange('example.com')).toBeNull();
    expect(isAddressAllowed('example.com', loopbackAllowed)).toBe(false);
    expect(isAddressAllowed('', loopbackAllowed)).toBe(false);
  });
});
