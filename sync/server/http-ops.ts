import { METRICS_PATH, READY_PATH } from '../protocol/frames.js';
import type { HttpRoute } from './http-accounts.js';
import { sendJson } from './http-body.js';
import type { ServerMetrics } from './metrics.js';
import type { ServerStore } from './store/server-store.js';

export interface OpsDeps {
  store: ServerStore;
  metrics: ServerMetrics;
  /** True from the moment shutdown begins: the server is no longer ready, whatever the store says. */
  draining: () => boolean;
}

/**
 * The operator's endpoints beside GET /v1/health (process up): readiness for a load balancer, and
 * Prometheus metrics for a scraper. Neither reveals anything about people or messages.
 */
export function opsRoutes(deps: OpsDeps): Array<[string, HttpRoute]> {
  return [
    [
      READY_PATH,
      {
        method: 'GET',
        handle: async (_req, res) => {
          if (deps.draining()) return sendJson(res, 503, { ok: false, reason: 'The server is shutting down' });
          const readiness = await deps.store.ready();
          sendJson(res, readiness.ok ? 200 : 503, readiness);
        },
      },
    ],
    [
      METRICS_PATH,
      {
        method: 'GET',
        handle: async (_req, res) => {
          const text = await deps.metrics.registry.metrics();
          res.writeHead(200, { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
      },
    ],
  ];
}
