/**
 * One guarded GET for link previews, following redirects. Hostile-world rules:
 *   - https only; http only when loopback previews are allowed, and then only to 127.0.0.1;
 *   - every hop's host name is resolved by our own `lookup` (node's http/https `lookup` option), which
 *     checks the addresses against the address policy and hands the connection exactly the addresses
 *     it checked: no DNS-rebinding window between the check and the connect. IP literals (which node
 *     connects to without a lookup) are checked before the request;
 *   - at most `maxRedirects` redirects, each one's target (relative Location resolved) checked again;
 *   - no cookies sent or kept, no connection reuse (agent: false), a plain User-Agent;
 *   - at most `maxBytes` of body read (after decompression): the rest is never read;
 *   - everything stops when `signal` aborts (the caller's overall deadline).
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { addressRange, checkAddress, type AddressPolicy } from './address-policy.js';

/** Resolves a host name to its addresses (all of them); injectable for tests. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export type FetchFailure =
  | 'invalid_url'
  | 'scheme_refused'
  | 'address_refused'
  | 'too_many_redirects'
  | 'http_status'
  | 'wrong_type'
  | 'unsupported_encoding'
  | 'too_large'
  | 'timeout'
  | 'network';

export class LinkPreviewFetchError extends Error {
  constructor(
    readonly reason: FetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'LinkPreviewFetchError';
  }
}

export interface SafeGetOptions {
  policy: AddressPolicy;
  resolve: Resolver;
  /** Aborts everything (the overall deadline). */
  signal: AbortSignal;
  maxRedirects: number;
  /** Most body bytes read (decompressed). */
  maxBytes: number;
  /** 'truncate': keep the first maxBytes and stop reading; 'refuse': a longer body is a failure. */
  overflow: 'truncate' | 'refuse';
  /** The Accept header. */
  accept: string;
  /** Whether a response with this media type (lowercase, no parameters; '' when absent) is wanted. */
  acceptType: (mediaType: string) => boolean;
  userAgent: string;
}

export interface SafeGetResult {
  /** The address finally answered (after redirects). */
  url: string;
  /** The Content-Type header as sent ('' when absent). */
  contentType: string;
  body: Buffer;
  /** More than maxBytes were on offer; only the first maxBytes were read. */
  truncated: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function safeGet(address: string, options: SafeGetOptions): Promise<SafeGetResult> {
  let url = parseTarget(address);
  for (let redirects = 0; ; redirects++) {
    const response = await requestOnce(url, options);
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      const location = response.headers.location;
      response.destroy();
      if (!location) throw new LinkPreviewFetchError('http_status', `HTTP ${status} without a Location`);
      if (redirects >= options.maxRedirects) {
        throw new LinkPreviewFetchError('too_many_redirects', `more than ${options.maxRedirects} redirects`);
      }
      url = parseTarget(location, url);
      continue;
    }
    if (status < 200 || status > 299) {
      response.destroy();
      throw new LinkPreviewFetchError('http_status', `HTTP ${status}`);
    }
    const contentType = response.headers['content-type'] ?? '';
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!options.acceptType(mediaType)) {
      response.destroy();
      throw new LinkPreviewFetchError('wrong_type', `not wanted: ${mediaType || 'no content type'}`);
    }
    const { body, truncated } = await readBody(response, options);
    return { url: url.href, contentType, body, truncated };
  }
}

function parseTarget(reference: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(reference, base);
  } catch {
    throw new LinkPreviewFetchError('invalid_url', `not an address: ${reference.slice(0, 200)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new LinkPreviewFetchError('scheme_refused', `${url.protocol} addresses are not fetched`);
  }
  if (url.username || url.password) {
    throw new LinkPreviewFetchError('invalid_url', 'addresses with credentials are not fetched');
  }
  return url;
}

/** The address check for one hop: https anywhere public; http only to 127.0.0.1, and only when allowed. */
function hopRules(url: URL, policy: AddressPolicy): { requireLoopback: boolean } {
  if (url.protocol === 'https:') return { requireLoopback: false };
  if (!policy.allowLoopback) throw new LinkPreviewFetchError('scheme_refused', 'only https addresses are fetched');
  return { requireLoopback: true };
}

function refusal(address: string, policy: AddressPolicy, requireLoopback: boolean): string | null {
  const verdict = checkAddress(address, policy);
  if (!verdict.allowed) return verdict.reason;
  if (requireLoopback && !verdict.loopback) return `http is allowed only to 127.0.0.1, not ${address}`;
  return null;
}

function requestOnce(url: URL, options: SafeGetOptions): Promise<IncomingMessage> {
  const { requireLoopback } = hopRules(url, options.policy);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (addressRange(host) !== null) {
    // An IP literal: node connects to it without asking `lookup`.
    const refused = refusal(host, options.policy, requireLoopback);
    if (refused) throw new LinkPreviewFetchError('address_refused', refused);
  }
  if (options.signal.aborted) throw new LinkPreviewFetchError('timeout', 'timed out');

  let lookupError: LinkPreviewFetchError | null = null;
  const lookup: LookupFunction = (hostname: string, lookupOptions: LookupOptions, callback) => {
    const fail = (error: LinkPreviewFetchError) => {
      lookupError = error;
      callback(error, lookupOptions.all ? [] : '', 0);
    };
    options.resolve(hostname).then(
      (addresses) => {
        const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family;
        const reasons: string[] = [];
        const allowed = addresses.filter((candidate) => {
          if (family && candidate.family !== family) return false;
          const refused = refusal(candidate.address, options.policy, requireLoopback);
          if (refused) reasons.push(refused);
          return refused === null;
        });
        const first = allowed[0];
        if (!first) {
          fail(new LinkPreviewFetchError('address_refused', `${hostname}: ${reasons.join('; ') || 'no address'}`));
        } else if (lookupOptions.all) {
          callback(null, allowed);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => fail(new LinkPreviewFetchError('network', `${hostname}: ${describe(error)}`)),
    );
  };

  const requestOptions: https.RequestOptions = {
    method: 'GET',
    agent: false,
    lookup,
    signal: options.signal,
    headers: {
      'User-Agent': options.userAgent,
      Accept: options.accept,
      'Accept-Encoding': 'gzip, deflate, br',
    },
  };
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, requestOptions, resolve);
    request.on('error', (error) => {
      if (lookupError) reject(lookupError);
      else if (options.signal.aborted) reject(new LinkPreviewFetchError('timeout', 'timed out'));
      else reject(new LinkPreviewFetchError('network', describe(error)));
    });
    request.end();
  });
}

function decoded(response: IncomingMessage): Readable {
  const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  switch (encoding) {
    case '':
    case 'identity':
      return response;
    case 'gzip':
    case 'x-gzip':
      return response.pipe(zlib.createGunzip());
    case 'deflate':
      return response.pipe(zlib.createInflate());
    case 'br':
      return response.pipe(zlib.createBrotliDecompress());
    default:
      response.destroy();
      throw new LinkPreviewFetchError('unsupported_encoding', `content encoding ${encoding}`);
  }
}

function readBody(response: IncomingMessage, options: SafeGetOptions): Promise<{ body: Buffer; truncated: boolean }> {
  const declared = Number(response.headers['content-length']);
  if (options.overflow === 'refuse' && Number.isFinite(declared) && declared > options.maxBytes) {
    response.destroy();
    return Promise.reject(new LinkPreviewFetchError('too_large', `${declared} bytes`));
  }
  const stream = decoded(response);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const stop = () => {
      options.signal.removeEventListener('abort', onAbort);
      if (stream !== response) stream.destroy();
      response.destroy();
    };
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      stop();
      outcome();
    };
    const onAbort = () => settle(() => reject(new LinkPreviewFetchError('timeout', 'timed out')));
    options.signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      const room = options.maxBytes - size;
      if (chunk.length <= room) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      if (options.overflow === 'refuse') {
        settle(() => reject(new LinkPreviewFetchError('too_large', `more than ${options.maxBytes} bytes`)));
        return;
      }
      chunks.push(chunk.subarray(0, room));
      settle(() => resolve({ body: Buffer.concat(chunks), truncated: true }));
    });
    stream.on('end', () => settle(() => resolve({ body: Buffer.concat(chunks), truncated: false })));
    const onError = (error: unknown) =>
      settle(() =>
        reject(
          options.signal.aborted
            ? new LinkPreviewFetchError('timeout', 'timed out')
            : new LinkPreviewFetchError('network', describe(error)),
        ),
      );
    stream.on('error', onError);
    if (stream !== response) response.on('error', onError);
    if (options.signal.aborted) onAbort();
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
