import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ATTACHMENTS_PATH, attachmentId } from '../../protocol/attachments.js';
import { HttpError } from '../http-body.js';
import { requireUser, type SessionLookup } from '../http-auth.js';
import type { ServerLogger } from '../logger.js';
import type { ServerStore } from '../store/server-store.js';
import type { AttachmentFiles } from './attachment-files.js';
import { byteRange } from './byte-range.js';

/**
 * Bytes read from disk per step of a download: reads and socket writes this large cost the server
 * (and the receiving client) far less CPU per byte than the read stream's default 64 KiB, for
 * a buffer or two of that size held per download under way.
 */
const SEND_CHUNK_BYTES = 1024 * 1024;

export interface DownloadsDeps {
  store: ServerStore;
  sessions: SessionLookup;
  files: AttachmentFiles;
  logger: ServerLogger;
}

/**
 * GET/HEAD /v1/attachments/<id>: an attachment's bytes, whole or one range of them, to whoever may
 * read a message that carries it (everyone else, and every unknown id, gets the same 404). Served
 * as an opaque download, never as something a browser would render, and streamed from disk.
 */
export function createDownloadsHandler(deps: DownloadsDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      throw new HttpError(405, 'invalid', 'Attachments are read with GET or HEAD');
    }
    const user = await requireUser(deps.sessions, req, res);
    const id = (req.url ?? '').split('?', 1)[0]!.slice(ATTACHMENTS_PATH.length + 1);
    const notFound = () => new HttpError(404, 'not_found', 'No such attachment');
    if (!attachmentId.safeParse(id).success) throw notFound();
    const upload = await deps.store.findDownloadable(user.id, id);
    if (!upload) throw notFound();

    let file: FileHandle;
    try {
      file = await open(deps.files.pathOf(id), 'r');
    } catch (error) {
      deps.logger.error(`Attachment ${id} is in the database but its file cannot be opened`, error);
      throw notFound();
    }
    // The handle is closed by the read stream (at its end, or when the response is cut short) or here.
    let handedToStream = false;
    try {
      const range = byteRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, upload.size);
      const common = {
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment',
        'x-content-type-options': 'nosniff',
        etag: `"${upload.sha256}"`,
        'accept-ranges': 'bytes',
        'cache-control': 'private, no-store',
      };
      if (range.kind === 'unsatisfiable') {
        res.writeHead(416, { ...common, 'content-range': `bytes */${upload.size}`, 'content-length': 0 }).end();
        return;
      }
      const [start, end] = range.kind === 'part' ? [range.start, range.end] : [0, upload.size - 1];
      res.writeHead(range.kind === 'part' ? 206 : 200, {
        ...common,
        'content-length': end - start + 1,
        ...(range.kind === 'part' ? { 'content-range': `bytes ${start}-${end}/${upload.size}` } : {}),
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      handedToStream = true;
      // pipeline destroys the file stream (closing the handle) when the client goes away mid-way.
      await pipeline(file.createReadStream({ start, end, highWaterMark: SEND_CHUNK_BYTES }), res).catch(() => undefined);
    } finally {
      if (!handedToStream) await file.close();
    }
  };
}
