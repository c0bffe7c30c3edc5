import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Where a request came from, as the per-address limits count it: an IPv4 address, or an IPv6 /64. */
export type ClientAddressOf = (req: IncomingMessage) => string;

/**
 * The client's address: the peer's, unless the peer is one of `trustedProxies` (the load
 * balancers in front of this server), which say whom they forward for in `X-Forwarded-For`. Each
 * proxy appends the address it got the request from, so the list is read from the right: the
 * first address that is not itself a trusted proxy is the client. Everything left of it was
 * written by the client and proves nothing; from any other peer the header is ignored altogether,
 * so a client cannot choose the address it is counted under.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddressOf {
  const trusted = new Set(trustedProxies.map(checkedAddress));
  return (req) => limitKey(clientAddress(req, trusted));
}

function clientAddress(req: IncomingMessage, trusted: ReadonlySet<string>): string {
  const peer = normalised(req.socket.remoteAddress ?? 'unknown');
  if (!trusted.has(peer)) return peer;
  const header = req.headers['x-forwarded-for'] ?? [];
  const hops = (typeof header === 'string' ? header : header.join(',')).split(',').map((hop) => normalised(hop.trim()));
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i]!;
    if (trusted.has(hop)) continue;
    // A proxy writes addresses; anything else there means it forwarded none we can use.
    return isIP(hop) === 0 ? peer : hop;
  }
  return peer;
}

/**
 * What a limit counts an address under. One subscriber is routinely given a whole IPv6 /64 (and
 * picks a fresh address from it at will), so IPv6 counts by its /64; IPv4 by the address.
 */
export function limitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const network = ipv6Groups(address)
    .slice(0, 4)
    .map((group) => group.toString(16));
  // The same spelling for every address of the network: zeros compressed, as RFC 5952 writes them.
  const last = network.findLastIndex((group) => group !== '0');
  return `${last < 0 ? '' : network.slice(0, last + 1).join(':')}::/64`;
}

/** An address given as a trusted proxy, or a RangeError: only literal IP addresses are taken. */
function checkedAddress(address: string): string {
  const trimmed = address.trim();
  if (isIP(trimmed) === 0) throw new RangeError(`A trusted proxy must be an IP address, got "${address}"`);
  return normalised(trimmed);
}

/** One spelling per address: IPv4 as such even when the socket reports it IPv4-mapped (::ffff:10.0.0.1). */
function normalised(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** The eight 16-bit groups of an address `isIP` took as IPv6 (a zone id and an embedded IPv4 tail allowed). */
function ipv6Groups(address: string): number[] {
  const [text = ''] = address.split('%');
  const [head = '', tail] = text.split('::');
  const parse = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}
