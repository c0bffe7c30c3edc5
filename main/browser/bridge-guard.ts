/**
 * Who may talk to the bridge. The bridge hands the whole app API (messages, sign-in) to whoever
 * connects, so only pages this host served itself may: the Origin header must be the host's own
 * origin (a page elsewhere, e.g. http://evil.example, cannot forge it), and the Host header must be
 * the loopback name the host answers on (a DNS-rebinding page sends its own name there).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { APP_API_METHODS, type AppApiMethod } from '../../sync/app-api/contract.js';
import type { BridgeRequest } from '../../sync/app-api/bridge-frames.js';

/** The Host header values (`name:port`) the host answers to. */
export function allowedHostHeaders(port: number, extraHostName?: string): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost']);
  if (extraHostName && extraHostName !== '0.0.0.0' && extraHostName !== '::') names.add(extraHostName);
  return new Set([...names].map((name) => `${name.includes(':') ? `[${name}]` : name}:${port}`));
}

/** The page origins allowed on the bridge: http://<allowed host>. */
export function allowedOrigins(hostHeaders: ReadonlySet<string>): Set<string> {
  return new Set([...hostHeaders].map((hostHeader) => `http://${hostHeader}`));
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

export function isAllowedHost(headers: IncomingHttpHeaders, hostHeaders: ReadonlySet<string>): boolean {
  const host = single(headers.host);
  return host !== undefined && hostHeaders.has(host.toLowerCase());
}

/** The request comes from a page this host served: an allowed Host, and an Origin equal to it. */
export function isOwnOrigin(headers: IncomingHttpHeaders, hostHeaders: ReadonlySet<string>): boolean {
  const origin = single(headers.origin);
  const host = single(headers.host);
  return isAllowedHost(headers, hostHeaders) && origin !== undefined && origin === `http://${host?.toLowerCase()}`;
}

export type UpgradeVerdict = { ok: true } | { ok: false; reason: string };

export function checkBridgeUpgrade(headers: IncomingHttpHeaders, hostHeaders: ReadonlySet<string>): UpgradeVerdict {
  if (!isAllowedHost(headers, hostHeaders)) return { ok: false, reason: 'foreign Host header' };
  const origin = single(headers.origin);
  if (origin === undefined) return { ok: false, reason: 'missing Origin header' };
  // Exact comparison: browsers send the serialised origin (lowercase scheme and host, no path).
  if (!allowedOrigins(hostHeaders).has(origin)) return { ok: false, reason: 'foreign Origin' };
  return { ok: true };
}

export type ParsedBridgeFrame =
  | { ok: true; request: BridgeRequest & { method: AppApiMethod } }
  /** `id` is set when the frame had a usable id, so the page can be told what was wrong. */
  | { ok: false; id: number | null; message: string };

function isMethod(value: string): value is AppApiMethod {
  return (APP_API_METHODS as readonly string[]).includes(value);
}

/** Reads one bridge frame (untrusted text). Argument validation is the dispatcher's job. */
export function parseBridgeFrame(text: string): ParsedBridgeFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, id: null, message: 'Frame is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: null, message: 'Frame is not an object' };
  }
  const frame = value as Record<string, unknown>;
  const id = typeof frame.id === 'number' && Number.isSafeInteger(frame.id) ? frame.id : null;
  if (id === null) return { ok: false, id: null, message: 'Frame has no integer id' };
  if (typeof frame.method !== 'string') return { ok: false, id, message: 'Frame has no method' };
  if (!isMethod(frame.method)) return { ok: false, id, message: `Unknown method ${frame.method.slice(0, 64)}` };
  return { ok: true, request: { id, method: frame.method, args: frame.args ?? {} } };
}
