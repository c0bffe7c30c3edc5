/**
 * Which IP addresses a link preview may connect to (SSRF guard). Only public unicast addresses,
 * decided with ipaddr.js's range(): private, loopback, link-local, unique-local, multicast,
 * unspecified, broadcast, reserved, carrier-grade NAT, documentation, benchmarking, and every
 * IPv6 form that embeds an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are refused.
 * An IPv4-mapped IPv6 address is judged as the IPv4 address it carries. Loopback (127/8, ::1) is
 * let through only when the host allows loopback previews (tests).
 */
import ipaddr from 'ipaddr.js';

export interface AddressPolicy {
  /** Allow loopback addresses (127.0.0.0/8, ::1): tests against a local page only. */
  allowLoopback: boolean;
}

export type AddressVerdict = { allowed: true; loopback: boolean } | { allowed: false; reason: string };

/** The range ipaddr.js puts the address in ('unicast' for public ones); null when it is no IP address. */
export function addressRange(address: string): string | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // Zone ids (fe80::1%eth0) are link-local by nature; ipaddr.js parses them, the range tells.
  if (!ipaddr.isValid(bare)) return null;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      parsed = v6.toIPv4Address();
    } else {
      const range = v6.range();
      // IPv4-compatible (::a.b.c.d, deprecated): ipaddr.js calls it unicast; nothing public lives there.
      if (range === 'unicast' && v6.parts.slice(0, 6).every((part) => part === 0)) return 'ipv4Compatible';
      return range;
    }
  }
  return parsed.range();
}

/** Whether a connection to `address` is allowed under the policy. */
export function checkAddress(address: string, policy: AddressPolicy): AddressVerdict {
  const range = addressRange(address);
  if (range === null) return { allowed: false, reason: `not an IP address: ${address}` };
  if (range === 'unicast') return { allowed: true, loopback: false };
  if (range === 'loopback' && policy.allowLoopback) return { allowed: true, loopback: true };
  return { allowed: false, reason: `${address} is a ${range} address` };
}

export function isAddressAllowed(address: string, policy: AddressPolicy): boolean {
  return checkAddress(address, policy).allowed;
}
