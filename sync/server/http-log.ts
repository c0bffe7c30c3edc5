import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ATTACHMENTS_PATH, UPLOADS_PATH } from '../protocol/attachments.js';
import { GIF_SEARCH_PATH, GIFS_PATH } from '../protocol/gif-frames.js';
import { ACCOUNTS_PATH, HEALTH_PATH, METRICS_PATH, READY_PATH, SESSIONS_PATH, SYNC_PATH } from '../protocol/frames.js';
import { HttpError, requestPath, sendError } from './http-body.js';
import type { ServerLogger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Polled by probes and scrapers every few seconds: their lines are debug, not info. */
const QUIET_ROUTES = new Set<string>([HEALTH_PATH, READY_PATH, METRICS_PATH]);
/** Answered even while draining, so a load balancer can see the server leave. */
const DRAIN_ROUTES = new Set<string>([HEALTH_PATH, READY_PATH]);

/** The metrics label for a path: one of a fixed set, never the raw path (ids would explode the series). */
export function httpRoute(path: string): string {
  switch (path) {
    case HEALTH_PATH:
    case READY_PATH:
    case METRICS_PATH:
    case ACCOUNTS_PATH:
    case SESSIONS_PATH:
    case SYNC_PATH:
    case UPLOADS_PATH:
    case GIF_SEARCH_PATH:
      return path;
  }
  if (path.startsWith(`${UPLOADS_PATH}/`)) return `${UPLOADS_PATH}/:id`;
  if (path.startsWith(`${ATTACHMENTS_PATH}/`)) return `${ATTACHMENTS_PATH}/:id`;
  if (path.startsWith(`${GIFS_PATH}/`)) return `${GIFS_PATH}/:id`;
  return 'other';
}

export interface HttpLogDeps {
  logger: ServerLogger;
  metrics: ServerMetrics;
  /** True once shutdown began: new requests are refused (503) and every connection closes after its answer. */
  draining: () => boolean;
}

/**
 * Wraps the router: gives each request an id (answered in `x-request-id`), logs one line when it
 * ends (id, method, path without query, status, duration; never headers or bodies) and counts it
 * by route and status. While draining it refuses new work.
 */
export function observeHttp(deps: HttpLogDeps, handle: Handler): Handler {
  let next = 0;
  return async (req, res) => {
    const started = performance.now();
    const id = `h${(next += 1)}`;
    const path = requestPath(req);
    const route = httpRoute(path);
    res.setHeader('x-request-id', id);
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 0;
      deps.metrics.httpRequests.inc({ route, status: status === 0 ? 'aborted' : String(status) });
      const fields = { req: id, method: req.method, path, status, ms: Math.round((performance.now() - started) * 10) / 10 };
      if (status >= 500 || status === 0) deps.logger.warn('HTTP request', fields);
      else if (QUIET_ROUTES.has(route)) deps.logger.debug('HTTP request', fields);
      else deps.logger.info('HTTP request', fields);
    });
    if (deps.draining()) {
      res.setHeader('connection', 'close');
      if (!DRAIN_ROUTES.has(route)) {
        req.resume();
        return sendError(res, new HttpError(503, 'internal', 'The server is shutting down; try again shortly'));
      }
    }
    await handle(req, res);
  };
}
