import type { IncomingMessage, ServerResponse } from 'node:http';
import { ATTACHMENTS_PATH, UPLOADS_PATH } from '../protocol/attachments.js';
import { GIFS_PATH } from '../protocol/gif-frames.js';
import type { AttachmentFiles } from './attachments/attachment-files.js';
import { createDownloadsHandler } from './attachments/downloads-endpoint.js';
import { createUploadsHandler } from './attachments/uploads-endpoint.js';
import { createGifsHandler, type GifsOptions } from './gifs/gifs-endpoint.js';
import { createHttpHandler, type HttpDeps } from './http-accounts.js';
import { HttpError, requestPath, sendError } from './http-body.js';
import { opsRoutes, type OpsDeps } from './http-ops.js';
import type { InFlight } from './in-flight.js';

export interface HttpRouterDeps extends HttpDeps, OpsDeps {
  files: AttachmentFiles;
  maxFileBytes: number;
  quotaBytes: number;
  inFlight: InFlight;
  /** The GIF provider (`--gif-provider`), or null for none. */
  gifs: GifsOptions | null;
}

/**
 * Every plain HTTP request, by path: uploads (tus), attachment downloads, GIF search, and the rest (health,
 * readiness, metrics, sign-up, sign-in). Hand-written on purpose: there are few routes, and tus
 * brings its whole protocol through `handle(req, res)`. A framework (fastify was weighed) would add
 * a second request model and a body-parsing layer to keep away from tus for no route we lack; it
 * is deferred until the routes grow.
 */
export function createHttpRouter(deps: HttpRouterDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const accounts = createHttpHandler(deps, opsRoutes(deps));
  const uploads = answeringErrors(deps, createUploadsHandler(deps));
  const downloads = answeringErrors(deps, createDownloadsHandler(deps));
  const gifs = answeringErrors(deps, createGifsHandler({ ...deps, clock: deps.runtime.clock }));
  return (req, res) => {
    const path = requestPath(req);
    if (path === UPLOADS_PATH || path.startsWith(`${UPLOADS_PATH}/`)) return uploads(req, res);
    if (path.startsWith(`${ATTACHMENTS_PATH}/`)) return downloads(req, res);
    if (path.startsWith(`${GIFS_PATH}/`)) return gifs(req, res);
    return accounts(req, res);
  };
}

/** Refusals become their JSON answer; anything else is logged and answered 500 (or cut, once bytes went out). */
function answeringErrors(
  deps: Pick<HttpDeps, 'logger'>,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      await handle(req, res);
    } catch (error) {
      if (error instanceof HttpError) return sendError(res, error);
      deps.logger.error('HTTP request failed', error, { method: req.method, path: requestPath(req) });
      if (res.headersSent) res.destroy();
      else sendError(res, new HttpError(500, 'internal', 'Internal server error'));
    }
  };
}
