/**
 * Which IP addresses a link preview may connect to (SSRF guard). Only public unicast addresses,
 * decided with ipaddr.js's range(): private, loopback, link-local, unique-local, multicast,
 * unspecified, broadcast, reserved, carrier-grade NAT, documentation, benchmarking, and every
 * IPv6 form that embeds an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are refused.
 * An IPv4-mapped IPv6 address is judged as the IPv4 address it carries. Of loopback, only
 * 127.0.0.1 is let through, and only when the host allows loopback previews (tests).
 */
import ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  /** Allow 127.0.0.1 (no other loopback address): tests against a local page only. */
  allowLoopback: boolean;
}

export type AddressVerdict = { allowed: true; loopback: boolean } | { allowed: false; reason: string };

/** The address as ipaddr.js reads it, an IPv4-mapped IPv6 one as the IPv4 address it carries; null when it is no IP address. */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // Zone ids (fe80::1%eth0) are link-local by nature; ipaddr.js parses them, the range tells.
  if (!ipaddr.isValid(bare)) return null;
  const parsed = ipaddr.parse(bare);
  return parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress() ? parsed.toIPv4Address() : parsed;
}

/** The range ipaddr.js puts the address in ('unicast' for public ones); null when it is no IP address. */
export function addressRange(address: string): string | null {
  const parsed = parseAddress(address);
  if (parsed === null) return null;
  const range = parsed.range();
  // IPv4-compatible (::a.b.c.d, deprecated): ipaddr.js calls it unicast; nothing public lives there.
  if (parsed instanceof ipaddr.IPv6 && range === 'unicast' && parsed.parts.slice(0, 6).every((part) => part === 0)) {
    return 'ipv4Compatible';
  }
  return range;
}

/** The one loopback address --allow-loopback-previews opens (the local test site's). */
const TEST_ADDRESS = '127.0.0.1';

/** Whether a connection to `address` is allowed under the policy. */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const range = addressRange(address);
  if (range === null) return { allowed: false, reason: `not an IP address: ${address}` };
  if (range === 'unicast') return { allowed: true, loopback: false };
  if (range === 'loopback' && policy.allowLoopback && parseAddress(address)?.toString() === TEST_ADDRESS) {
    return { allowed: true, loopback: true };
  }
  return { allowed: false, reason: `${address} is a ${range} address` };
}

export function isAddressAllowed(address: string, policy: AddressPolicy): boolean {
  return checkAddress(address, policy).allowed;
}
