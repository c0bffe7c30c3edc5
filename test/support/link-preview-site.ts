/**
 * A local web site for link preview tests (unit and end-to-end): plain HTTP on 127.0.0.1, reachable
 * by the fetcher only with allowLoopback (the hosts' --allow-loopback-previews). Pages:
 *   /page          Open Graph title, description and image (/image.png)
 *   /image.png     a small PNG
 *   /plain         only <title> and a meta description
 *   /no-title      nothing to make a title from
 *   /hostile       markup and entities in the title and description
 * Tests add their own routes with `route(path, handler)`; every request is recorded.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A 1×1 PNG. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

export const PREVIEW_PAGE = {
  title: 'A page worth previewing',
  description: 'What the page is about, from its Open Graph tags.',
};

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
}

export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface PreviewSite {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  url(path: string): string;
  route(path: string, handler: RouteHandler): void;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export function htmlPage(head: string, body = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`;
}

function sendHtml(response: ServerResponse, html: string): void {
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end(html);
}

export async function startPreviewSite(): Promise<PreviewSite> {
  const routes = new Map<string, RouteHandler>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  routes.set('/page', (_request, response) =>
    sendHtml(
      response,
      htmlPage(
        `<title>Fallback title</title>
         <meta property="og:title" content="${PREVIEW_PAGE.title}">
         <meta property="og:description" content="${PREVIEW_PAGE.description}">
         <meta property="og:image" content="/image.png">`,
        '<p>Hello</p>',
      ),
    ),
  );
  routes.set('/image.png', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': TINY_PNG.length });
    response.end(TINY_PNG);
  });
  routes.set('/plain', (_request, response) =>
    sendHtml(response, htmlPage('<title>  Plain\n   page  </title><meta name="description" content="Just a description">')),
  );
  routes.set('/no-title', (_request, response) =>
    sendHtml(response, htmlPage('<meta name="description" content="A description but no title">', '<h1>Heading</h1>')),
  );
  routes.set('/hostile', (_request, response) =>
    sendHtml(
      response,
      htmlPage(
        `<title>&lt;b&gt;bold&lt;/b&gt; <script>alert("x")</script> &amp;lt;i&amp;gt; "quoted" 'single'</title>
         <meta name="description" content="&lt;img src=x onerror=alert(1)&gt; &quot;hi&quot;">`,
      ),
    ),
  );

  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://site.invalid').pathname;
    requests.push({ path, headers: request.headers });
    const handler = routes.get(path);
    if (handler) handler(request, response);
    else {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not found');
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    url: (path) => `${origin}${path}`,
    route: (path, handler) => routes.set(path, handler),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
