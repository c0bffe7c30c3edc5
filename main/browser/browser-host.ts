/**
 * The browser host: serves the built renderer over loopback HTTP, this profile's attachment store
 * under /files (main/common/file-gateway.ts), GIF search results under /gifs (gif-gateway.ts), and carries the app API over a WebSocket bridge
 * (/bridge) to the client core (which runs in a worker thread; see main/node/core-worker-client.ts).
 * "Export logs" downloads this profile's logs from LOGS_EXPORT_PATH (main/common/logging-export.ts).
 * Every response carries the renderer's CSP as a header (the page's own files with the tile server
 * Settings → "Maps" allows). Everything but the one-time key exchange
 * needs the session cookie that exchange sets (bridge-lock.ts): the page itself is no secret, but the
 * files are, and one rule for every path leaves nothing to forget.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { BRIDGE_MAX_FRAME_BYTES, BRIDGE_PATH, type BridgePush, type BridgeReply } from '../../sync/app-api/bridge-frames.js';
import type { AppTransport } from '../../sync/app-api/client.js';
import { LOGS_EXPORT_PATH } from '../../sync/app-api/log-export.js';
import type { Random } from '../../sync/common/runtime.js';
import type { FileKeyring } from '../../sync/client/attachments/file-keys.js';
import { realRuntime } from '../../sync/node/real-runtime.js';
import { pageHeaders, SECURITY_HEADERS } from '../common/csp.js';
import { currentMapTileUrl } from '../common/page-policy.js';
import { filesTargetOf, gatewayError, handleFilesRequest, lazyBlobStore, type GatewayResponse } from '../common/file-gateway.js';
import { gifTargetOf, handleGifRequest, type GifBytes } from '../common/gif-gateway.js';
import type { LogExporter } from '../common/logging-export.js';
import { contentTypeFor, resolveStaticFile } from '../common/static-files.js';
import { wsText } from '../../sync/node/ws-text.js';
import { allowedHostHeaders, checkBridgeUpgrade, isAllowedHost, isOwnOrigin, parseBridgeFrame } from './bridge-guard.js';
import { ACCESS_KEY_PARAM, createBridgeLock, type BridgeLock } from './bridge-lock.js';

export interface BrowserHostOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The built renderer: dist/renderer. */
  rendererDir: string;
  /** Where calls go: the core worker, or (in tests) a dispatcher over a fake core. */
  core: AppTransport;
  /** The profile the core runs on: its attachment store is served under /files. Without it /files is 404. */
  profileDir?: string;
  /** The keys of the store's files, in the core's mirror (CoreWorkerHandle.fileKeys). Without them /files is 404. */
  fileKeys?: FileKeyring;
  /** GIF search results' bytes from the core (CoreWorkerHandle.gifBytes), served under /gifs. Without it /gifs is 404. */
  gifBytes?: GifBytes;
  /** This profile's logs, for GET LOGS_EXPORT_PATH. Without it that path is 404. */
  logs?: LogExporter;
  /** Diagnostics (refused upgrades, dropped frames). Defaults to silence. */
  log?: (message: string) => void;
  /** Where the one-time key and the session come from; cryptographic randomness by default. */
  random?: Pick<Random, 'hex'>;
}

export interface BrowserHost {
  /** The address to open, with the one-time key: http://127.0.0.1:<port>/?k=<key>. Works once. */
  url: string;
  /** http://127.0.0.1:<port>, the pages' origin. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** Calls one page may have in flight; beyond that the page is misbehaving and gets errors. */
const MAX_IN_FLIGHT_PER_PAGE = 256;

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
}

const TEXT = 'text/plain; charset=utf-8';

function pathnameOf(rawUrl: string | undefined): string | null {
  if (!rawUrl || !rawUrl.startsWith('/')) return null;
  const end = rawUrl.search(/[?#]/);
  return end === -1 ? rawUrl : rawUrl.slice(0, end);
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { rendererDir, core, host = '127.0.0.1', log = () => {}, random = realRuntime().random } = options;
  let hostHeaders = new Set<string>();
  // Both are set once the port is known; until then nothing gets past the Host check anyway.
  let lock: BridgeLock | null = null;
  let origin = '';
  const blobStore =
    options.profileDir === undefined || options.fileKeys === undefined
      ? null
      : lazyBlobStore(options.profileDir, options.fileKeys);

  function send(res: http.ServerResponse, status: number, body: string | Buffer, contentType: string, headOnly = false): void {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(headOnly ? undefined : body);
  }

  async function reply(res: http.ServerResponse, response: GatewayResponse): Promise<void> {
    res.writeHead(response.status, response.headers);
    if (response.body === null || typeof response.body === 'string') {
      res.end(response.body ?? undefined);
      return;
    }
    await pipeline(response.body, res);
  }

  async function serveFiles(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    let response: GatewayResponse;
    if (blobStore === null) {
      response = gatewayError(404, 'not_found');
    } else if (req.method === 'POST' && !isOwnOrigin(req.headers, hostHeaders)) {
      // Reading needs only the Host check (CORP keeps other sites from embedding the bytes); a page
      // elsewhere must not fill this profile's disk, so writing needs our own Origin too.
      log('browser host: refused a file import from a foreign origin');
      response = gatewayError(403, 'forbidden');
    } else {
      response = await handleFilesRequest(blobStore(), {
        method: req.method ?? 'GET',
        url,
        body: () => req,
        range: req.headers.range,
      });
    }
    // A body refused before it was read whole is not wanted: close rather than drain it.
    if (!req.complete) res.setHeader('Connection', 'close');
    await reply(res, response);
  }

  function redirectHome(res: http.ServerResponse, setCookie?: string): void {
    // 303 to `/`: the key leaves the address bar, and a reload does not present it again.
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      Location: '/',
      'Content-Length': 0,
      ...(setCookie ? { 'Set-Cookie': setCookie } : {}),
    });
    res.end();
  }

  /** Lets a request through, or answers it: foreign Host, the key exchange, no session. */
  function admit(req: http.IncomingMessage, res: http.ServerResponse, pathname: string | null): boolean {
    if (lock === null || !isAllowedHost(req.headers, hostHeaders)) {
      send(res, 403, 'Forbidden\n', TEXT);
      return false;
    }
    const key =
      pathname === '/' && req.method === 'GET' ? new URL(req.url ?? '/', origin).searchParams.get(ACCESS_KEY_PARAM) : null;
    const hasSession = lock.admits(req.headers.cookie);
    if (key !== null) {
      // A browser that has the session already (the address opened twice) simply goes on.
      const setCookie = hasSession ? null : lock.exchange(key);
      if (hasSession || setCookie !== null) {
        redirectHome(res, setCookie ?? undefined);
        return false;
      }
      log('browser host: refused a wrong or already used key');
      send(
        res,
        401,
        'This address has been used already (it works once), or its key is wrong.\n' +
          `In the browser that opened it first, go to ${origin}/ instead; for another browser, restart the messenger for a new address.\n`,
        TEXT,
      );
      return false;
    }
    if (!hasSession) {
      send(
        res,
        401,
        `Locked: open the address the messenger printed when it started (${origin}/?${ACCESS_KEY_PARAM}=…).\n`,
        TEXT,
        req.method === 'HEAD',
      );
      return false;
    }
    return true;
  }

  /**
   * The logs as a download: `attachment`, plain text and nosniff, so the browser saves the file and
   * never renders what the logs hold as a page.
   */
  function serveLogs(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!options.logs) {
      send(res, 404, 'Not Found\n', TEXT);
      return;
    }
    const { fileName, body } = options.logs.export(req.headers['user-agent']);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': TEXT,
      'Content-Disposition': `attachment; filename="${fileName}"`,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = pathnameOf(req.url);
    if (!admit(req, res, pathname)) return;
    if (pathname !== null && filesTargetOf(pathname) !== null) {
      await serveFiles(req, res, new URL(req.url ?? '/', 'http://localhost'));
      return;
    }
    const gifId = pathname === null ? null : gifTargetOf(pathname);
    if (gifId !== null) {
      const { gifBytes } = options;
      const method = req.method ?? 'GET';
      await reply(res, gifBytes ? await handleGifRequest(gifBytes, { method, gifId }) : gatewayError(404, 'not_found'));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'Method Not Allowed\n', TEXT);
      return;
    }
    if (pathname === LOGS_EXPORT_PATH) {
      serveLogs(req, res);
      return;
    }
    const file = pathname === null ? null : resolveStaticFile(rendererDir, pathname);
    if (file === null) {
      send(res, 404, 'Not Found\n', TEXT);
      return;
    }
    let body: Buffer;
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) throw new Error('not a file');
      body = await fs.readFile(file);
    } catch {
      send(res, 404, 'Not Found\n', TEXT);
      return;
    }
    // The page's own files carry the policy as the tile server preference is now (Settings → "Maps").
    res.writeHead(200, {
      ...pageHeaders(await currentMapTileUrl(core)),
      'Content-Type': contentTypeFor(file),
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = http.createServer((req, res) => {
    serveStatic(req, res).catch((error: unknown) => {
      log(`browser host: request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, 500, 'Internal Server Error\n', TEXT);
      else res.destroy();
    });
  });
  // Requests hanging around forever hold sockets open; pages are on loopback and fast. The request
  // timeout covers receiving a whole body: an attached file of up to 2 GiB.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10 * 60_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_MAX_FRAME_BYTES, perMessageDeflate: false });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (pathnameOf(req.url) !== BRIDGE_PATH) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const verdict = checkBridgeUpgrade(req.headers, hostHeaders);
    if (!verdict.ok) {
      log(`browser host: refused bridge connection (${verdict.reason})`);
      refuseUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (lock === null || !lock.admits(req.headers.cookie)) {
      log('browser host: refused bridge connection (no session cookie)');
      refuseUpgrade(socket, 401, 'Unauthorized: open the address the messenger printed when it started');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    let inFlight = 0;
    ws.on('error', (error) => log(`browser host: bridge socket error: ${error.message}`));

    const reply = (frame: BridgeReply) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        log('browser host: ignored a binary bridge frame');
        return;
      }
      const parsed = parseBridgeFrame(wsText(data));
      if (!parsed.ok) {
        if (parsed.id !== null) {
          reply({ id: parsed.id, reply: { ok: false, error: { code: 'invalid_argument', message: parsed.message } } });
        } else {
          log(`browser host: ignored a malformed bridge frame (${parsed.message})`);
        }
        return;
      }
      const { id, method, args } = parsed.request;
      if (inFlight >= MAX_IN_FLIGHT_PER_PAGE) {
        reply({ id, reply: { ok: false, error: { code: 'internal', message: 'Too many calls in flight' } } });
        return;
      }
      inFlight++;
      core
        .invoke(method, args)
        .catch((error: unknown) => ({
          ok: false as const,
          error: { code: 'internal' as const, message: error instanceof Error ? error.message : String(error) },
        }))
        .then((result) => {
          inFlight--;
          reply({ id, reply: result });
        })
        // Only the reply itself can fail here (a result that cannot be serialised, a socket that broke).
        .catch((error: unknown) =>
          log(`browser host: could not send a bridge reply: ${error instanceof Error ? error.message : String(error)}`),
        );
    });
  });

  const unsubscribe = core.subscribe((event) => {
    const frame = JSON.stringify({ event } satisfies BridgePush);
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(frame);
    }
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    unsubscribe();
    wss.close();
    throw error;
  }

  const port = (server.address() as AddressInfo).port;
  hostHeaders = allowedHostHeaders(port, host);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  origin = `http://${urlHost}:${port}`;
  lock = createBridgeLock({ port, random });
  let closing: Promise<void> | null = null;

  return {
    url: `${origin}/?${ACCESS_KEY_PARAM}=${lock.key}`,
    origin,
    port,
    close() {
      closing ??= (async () => {
        unsubscribe();
        for (const client of wss.clients) client.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
