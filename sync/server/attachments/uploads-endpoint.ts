import type { IncomingMessage, ServerResponse } from 'node:http';
import { Metadata, Server as TusServer } from '@tus/server';
import type { Runtime } from '../../common/runtime.js';
import {
  CHECKSUM_MISMATCH_STATUS,
  UPLOAD_SHA256_METADATA,
  UPLOADS_PATH,
  attachmentId,
  sha256Hex,
} from '../../protocol/attachments.js';
import { HttpError, errorBody } from '../http-body.js';
import { requireUser, type SessionLookup } from '../http-auth.js';
import type { InFlight } from '../in-flight.js';
import { REFUSALS } from '../refusals.js';
import type { ServerStore } from '../store/server-store.js';
import type { AttachmentFiles } from './attachment-files.js';
import { HashingFileStore } from './hashing-file-store.js';

export interface UploadsDeps {
  store: ServerStore;
  sessions: SessionLookup;
  runtime: Runtime;
  files: AttachmentFiles;
  /** The largest file one upload may be. */
  maxFileBytes: number;
  /** The most a user's kept uploads may add up to. */
  quotaBytes: number;
  /** Shutdown waits for the checks that touch the store. */
  inFlight: InFlight;
}

/**
 * The tus endpoint (creation, HEAD for the offset, PATCH for bytes, DELETE to give one up). tus
 * owns its protocol; this adds what it does not know: the bearer token on every request, who
 * owns an upload (anyone else is answered 404, exactly as for an id that does not exist), the
 * declared SHA-256, the server's size limit and the owner's quota (checked before tus sees the
 * request, so every refusal is our JSON {code, reason, message}), the store's row for each upload,
 * and the final check that the bytes have the declared SHA-256.
 */
export function createUploadsHandler(deps: UploadsDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { store, files } = deps;
  /** The id chosen for a creation request, for tus's namingFunction (it only sees tus's own request object). */
  const chosenIds = new WeakMap<object, string>();

  const datastore = new HashingFileStore({ directory: files.directory });
  // What this endpoint offers (and OPTIONS says): no deferred length, and no tus expiration
  // (garbage collection decides what goes, by references, see housekeeping.ts).
  datastore.extensions = ['creation', 'creation-with-upload', 'termination'];
  const tus = new TusServer({
    // The creation endpoint, and one URL below it per upload.
    path: UPLOADS_PATH,
    datastore,
    // Only the client core talks to this endpoint, never a web page: no CORS for any origin.
    allowedOrigins: [],
    // A Location relative to this server: never built from a Host header a client sent.
    relativeLocation: true,
    maxSize: deps.maxFileBytes,
    // Finished uploads stay until garbage collection; DELETE is answered before tus (below).
    disableTerminationForFinishedUploads: true,
    namingFunction: (req) => {
      const node = req.runtime?.node?.req;
      const id = node ? chosenIds.get(node) : undefined;
      // Every creation passes through the handler below, which chose its id: this is a bug, never a client's doing.
      if (!id) throw new Error('An upload is being created without the id chosen for it');
      return id;
    },
    onUploadFinish: async (_req, upload) => {
      if (await deps.inFlight.track(verify(upload.id))) return {};
      // Returned rather than thrown, so the answer can say it is JSON.
      return {
        status_code: CHECKSUM_MISMATCH_STATUS,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(errorBody(checksumMismatch())),
      };
    },
  });

  /**
   * Once every byte is there: completes the upload when they have its declared SHA-256, else
   * removes it, row and file (the client starts again from its own copy). Safe to run twice.
   */
  async function verify(id: string): Promise<boolean> {
    const stored = await store.getUpload(id);
    if (!stored) return false;
    if (stored.completedAt !== null) return true;
    const sha256 = datastore.takeDigest(id, stored.size) ?? (await files.sha256Of(id));
    if (sha256 !== stored.sha256) {
      await store.deleteUpload(id);
      await files.remove(id);
      return false;
    }
    await store.completeUpload(id, deps.runtime.clock.now());
    return true;
  }

  /**
   * tus's promise can outlive the response: when the client has gone, srvx waits for an end
   * callback that never comes. The response closing ends our part of the request.
   */
  function handOver(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      res.once('close', () => resolve());
      tus.handle(req, res).then(resolve, reject);
    });
  }

  return async (req, res) => {
    const user = await requireUser(deps.sessions, req, res);
    const id = uploadIdIn(req);
    if (id === null) {
      // The creation endpoint itself (OPTIONS there tells a tus client what this server supports).
      if (req.method === 'OPTIONS') return handOver(req, res);
      if (req.method !== 'POST') throw methodNotAllowed(res, 'POST, OPTIONS');
      const { sha256, size } = creationRequest(req, deps.maxFileBytes);
      const newId = deps.runtime.random.hex(16);
      const created = await store.createUpload({
        id: newId,
        ownerId: user.id,
        sha256,
        size,
        createdAt: deps.runtime.clock.now(),
        quotaBytes: deps.quotaBytes,
      });
      if (created.status === 'refused') throw HttpError.refusal(403, REFUSALS[created.reason]);
      chosenIds.set(req, newId);
      return handOver(req, res);
    }
    const upload = await store.getUpload(id);
    if (!upload || upload.ownerId !== user.id) throw new HttpError(404, 'not_found', 'No such upload');
    switch (req.method ?? '') {
      case 'HEAD':
        // Every byte arrived but the check never ran (the server stopped right after the last
        // write): run it now, so the upload cannot stay unusable with nothing left to send.
        if (upload.completedAt === null && (await files.sizeOf(id)) === upload.size && !(await verify(id))) {
          throw checksumMismatch();
        }
        return handOver(req, res);
      case 'PATCH':
      case 'OPTIONS':
        return handOver(req, res);
      case 'DELETE':
        // Only while no message refers to it: a sent file stays for the people who received it.
        if (!(await store.deleteUpload(id))) throw new HttpError(409, 'conflict', 'A message refers to this upload');
        await files.remove(id);
        res.writeHead(204, { 'tus-resumable': '1.0.0' }).end();
        return;
      default:
        throw methodNotAllowed(res, 'HEAD, PATCH, DELETE, OPTIONS');
    }
  };
}

/** The upload id of `/v1/uploads/<id>`; null for the creation endpoint. Anything else is no upload (404). */
function uploadIdIn(req: IncomingMessage): string | null {
  const rest = (req.url ?? '').split('?', 1)[0]!.slice(UPLOADS_PATH.length);
  if (rest === '' || rest === '/') return null;
  const id = rest.slice(1);
  if (!rest.startsWith('/') || !attachmentId.safeParse(id).success) throw new HttpError(404, 'not_found', 'No such upload');
  return id;
}

/**
 * What a creation must declare: its whole length up front (no deferred length, no concatenation),
 * within the server's limit and not empty, and the SHA-256 of its bytes in Upload-Metadata.
 */
function creationRequest(req: IncomingMessage, maxFileBytes: number): { sha256: string; size: number } {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  if (header('upload-defer-length') !== undefined || header('upload-concat') !== undefined) {
    throw new HttpError(400, 'invalid', 'Declare Upload-Length when creating an upload (no deferred length, no concatenation)');
  }
  const length = header('upload-length');
  if (length === undefined || !/^[0-9]{1,16}$/.test(length)) {
    throw new HttpError(400, 'invalid', 'Upload-Length must be the file size in bytes');
  }
  const size = Number(length);
  if (size === 0) throw HttpError.refusal(400, REFUSALS.empty_file);
  if (size > maxFileBytes) {
    throw HttpError.refusal(413, REFUSALS.file_too_large, `The file is larger than this server accepts (${maxFileBytes} bytes)`);
  }
  const declared = header('upload-metadata');
  let metadata: Record<string, string | null> = {};
  try {
    if (declared !== undefined) metadata = Metadata.parse(declared);
  } catch {
    throw new HttpError(400, 'invalid', 'Upload-Metadata is malformed');
  }
  const sha256 = sha256Hex.safeParse(metadata[UPLOAD_SHA256_METADATA]);
  if (!sha256.success) {
    throw new HttpError(
      400,
      'invalid',
      `Upload-Metadata must carry "${UPLOAD_SHA256_METADATA}": the SHA-256 of the file, lowercase hex`,
    );
  }
  return { sha256: sha256.data, size };
}

function checksumMismatch(): HttpError {
  return HttpError.refusal(CHECKSUM_MISMATCH_STATUS, REFUSALS.checksum_mismatch);
}

function methodNotAllowed(res: ServerResponse, allowed: string): HttpError {
  res.setHeader('allow', allowed);
  return new HttpError(405, 'invalid', `Allowed here: ${allowed}`);
}
