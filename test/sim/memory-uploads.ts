import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type * as tus from 'tus-js-client';
import type { UploadTransport } from '../../sync/client/attachments/uploader.js';
import { CHECKSUM_MISMATCH_STATUS, sha256Hex, UPLOAD_SHA256_METADATA, UPLOADS_PATH } from '../../sync/protocol/attachments.js';
import { hashSessionToken } from '../../sync/server/session-tokens.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';
import type { SeededRandom } from './random.js';
import type { Lifetime, Scheduler } from './scheduler.js';

/**
 * The server's upload endpoint in the simulation: the tus requests a client core's real uploader
 * makes (create, offset, append) carried over virtual time and answered by the rules of the real
 * endpoint (sync/server/attachments/uploads-endpoint.ts): the bearer token, the owner only, the
 * declared SHA-256 checked once every byte is there (460 and the upload gone when it differs),
 * each upload a row in the real store, so a message can refer to it only once it is complete.
 * The bytes are kept here, per upload id, across server restarts (as the real store's files on
 * disk). The tus protocol itself is tus-js-client's on the client side; what is modelled is the
 * network and the server: an upload is a run of requests, each of which can be lost before or
 * after the server acted on it, or cut part way through its body.
 */

export const SIM_HTTP_BASE = 'http://sim.invalid';
/** Small chunks: a file of a few dozen kilobytes takes several PATCHes, each one interruptible. */
const SIM_CHUNK_BYTES = 16 * 1024;

export interface UploadWorld {
  /** The server's store while it is up; null while it is down. */
  serverStore(): ServerStore | null;
  /** The current life of the server: an answer from an earlier life never arrives. */
  serverLifetime(): Lifetime;
  /** Whether the device has its network now. */
  reachable(device: string): boolean;
  /** Chance that an exchange goes wrong (lost request, lost answer, body cut part way). */
  faultRate(): number;
  /** Network latency, one way. */
  delay(): number;
}

type Answer = { status: number; headers: Record<string, string> } | { lost: true };

export class SimUploads {
  /** What the server holds of each upload: its bytes so far. */
  private readonly files = new Map<string, Buffer>();
  private inFlight = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
    private readonly world: UploadWorld,
  ) {}

  /** Exchanges under way (quiet only when none is). */
  get pending(): number {
    return this.inFlight;
  }

  /** The bytes the server holds for an upload. */
  bytesOf(id: string): Buffer | undefined {
    return this.files.get(id);
  }

  /** What a device's core uploads through: the simulated network. */
  transportFor(device: string, lifetime: Lifetime): UploadTransport {
    return {
      chunkBytes: SIM_CHUNK_BYTES,
      httpStack: {
        createRequest: (method, url) =>
          new SimRequest(method, url, (request, body) => this.exchange(device, lifetime, request, body)),
        getName: () => 'simulated network',
      },
    };
  }

  /**
   * One request: it reaches the server after a delay (unless the device is offline or the server
   * down), the server acts on it, and its answer comes back after another delay, to a device still
   * alive and online. Either way may be lost; a PATCH may be cut after part of its body arrived.
   */
  private exchange(device: string, lifetime: Lifetime, request: SimRequest, body: Buffer | null): Promise<tus.HttpResponse> {
    this.inFlight += 1;
    return new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`simulated network: ${why}`));
      this.scheduler.schedule(this.world.delay(), () => {
        const store = this.world.serverStore();
        const server = this.world.serverLifetime();
        if (!store || !this.world.reachable(device)) {
          this.inFlight -= 1;
          return fail('unreachable');
        }
        const fate = this.random.next() < this.world.faultRate() ? this.random.int(0, 2) : null;
        // 0: the request never arrives.
        if (fate === 0) {
          this.inFlight -= 1;
          return fail('request lost');
        }
        const cut = fate === 2 && body && body.length > 0 ? this.random.int(0, body.length - 1) : null;
        void this.serve(store, request, cut === null ? body : body!.subarray(0, cut)).then(
          (answer) => {
            this.scheduler.schedule(this.world.delay(), () => {
              this.inFlight -= 1;
              if (!lifetime.alive || request.aborted) return;
              // 1: the server acted, its answer is lost; 2: the body was cut; or the link went meanwhile.
              if ('lost' in answer || fate !== null || !server.alive || !this.world.reachable(device)) return fail('answer lost');
              request.progress(body?.length ?? 0);
              resolve(new SimResponse(answer.status, answer.headers));
            });
          },
          (error: unknown) => {
            this.inFlight -= 1;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
    });
  }

  /** The real endpoint's rules, against the real store. */
  private async serve(store: ServerStore, request: SimRequest, body: Buffer | null): Promise<Answer> {
    const token = /^Bearer (.+)$/.exec(request.getHeader('authorization') ?? '')?.[1];
    // Simulated sessions never expire and are never touched (times before the epoch).
    const use = token
      ? await store.useSession({ tokenHash: hashSessionToken(token), now: 0, expiredBefore: 0, touchBefore: 0 })
      : null;
    const user = use?.user ?? null;
    if (!user) return { status: 401, headers: {} };
    const path = new URL(request.getURL()).pathname;
    const tusHeaders = { 'tus-resumable': '1.0.0' };
    if (path === UPLOADS_PATH) {
      if (request.getMethod() !== 'POST') return { status: 405, headers: {} };
      const size = Number(request.getHeader('upload-length'));
      const sha256 = metadataValue(request.getHeader('upload-metadata') ?? '', UPLOAD_SHA256_METADATA);
      if (!Number.isInteger(size) || size < 1 || !sha256Hex.safeParse(sha256).success) return { status: 400, headers: {} };
      const id = this.random.hex(16);
      const created = await store.createUpload({
        id,
        ownerId: user.id,
        sha256: sha256!,
        size,
        createdAt: this.scheduler.now,
        quotaBytes: Number.MAX_SAFE_INTEGER,
      });
      if (created.status !== 'created') return { status: 403, headers: {} };
      this.files.set(id, Buffer.alloc(0));
      return { status: 201, headers: { ...tusHeaders, location: `${SIM_HTTP_BASE}${UPLOADS_PATH}/${id}` } };
    }
    const id = path.slice(UPLOADS_PATH.length + 1);
    const upload = await store.getUpload(id);
    if (!upload || upload.ownerId !== user.id) return { status: 404, headers: {} };
    const held = this.files.get(id) ?? Buffer.alloc(0);
    switch (request.getMethod()) {
      case 'HEAD':
        if (upload.completedAt === null && held.length === upload.size && !(await this.verify(store, id))) {
          return { status: CHECKSUM_MISMATCH_STATUS, headers: {} };
        }
        return {
          status: 200,
          headers: { ...tusHeaders, 'upload-offset': String(held.length), 'upload-length': String(upload.size) },
        };
      case 'PATCH': {
        if (Number(request.getHeader('upload-offset')) !== held.length) return { status: 409, headers: {} };
        const bytes = Buffer.concat([held, body ?? Buffer.alloc(0)]).subarray(0, upload.size);
        this.files.set(id, bytes);
        if (bytes.length === upload.size && !(await this.verify(store, id)))
          return { status: CHECKSUM_MISMATCH_STATUS, headers: {} };
        return { status: 204, headers: { ...tusHeaders, 'upload-offset': String(bytes.length) } };
      }
      default:
        return { status: 405, headers: {} };
    }
  }

  /** Every byte is there: complete the upload when they hash to what was declared, else forget it. */
  private async verify(store: ServerStore, id: string): Promise<boolean> {
    const upload = await store.getUpload(id);
    if (!upload) return false;
    if (upload.completedAt !== null) return true;
    const sha256 = createHash('sha256').update(this.files.get(id)!).digest('hex');
    if (sha256 !== upload.sha256) {
      await store.deleteUpload(id);
      this.files.delete(id);
      return false;
    }
    await store.completeUpload(id, this.scheduler.now);
    return true;
  }
}

/** tus's Upload-Metadata: `key base64(value)` pairs separated by commas. */
function metadataValue(header: string, key: string): string | undefined {
  for (const pair of header.split(',')) {
    const [name, value] = pair.trim().split(' ');
    if (name === key && value !== undefined) return Buffer.from(value, 'base64').toString('utf8');
  }
  return undefined;
}

class SimRequest implements tus.HttpRequest {
  private readonly headers = new Map<string, string>();
  private onProgress: (bytesSent: number) => void = () => {};
  aborted = false;

  constructor(
    private readonly method: string,
    private readonly url: string,
    private readonly carry: (request: SimRequest, body: Buffer | null) => Promise<tus.HttpResponse>,
  ) {}

  getMethod(): string {
    return this.method;
  }
  getURL(): string {
    return this.url;
  }
  setHeader(header: string, value: string): void {
    this.headers.set(header.toLowerCase(), value);
  }
  getHeader(header: string): string | undefined {
    return this.headers.get(header.toLowerCase());
  }
  setProgressHandler(handler: (bytesSent: number) => void): void {
    this.onProgress = handler;
  }
  progress(bytes: number): void {
    this.onProgress(bytes);
  }
  async send(body: unknown): Promise<tus.HttpResponse> {
    // The uploader streams each range from its store: the simulated network carries it whole.
    if (body instanceof Readable) return this.carry(this, Buffer.concat(await body.toArray()));
    if (body !== null && body !== undefined && !Buffer.isBuffer(body)) {
      throw new Error('The simulated network carries buffers and streams only');
    }
    return this.carry(this, body ?? null);
  }
  abort(): Promise<void> {
    this.aborted = true;
    return Promise.resolve();
  }
  getUnderlyingObject(): unknown {
    return null;
  }
}

class SimResponse implements tus.HttpResponse {
  constructor(
    private readonly status: number,
    private readonly headers: Record<string, string>,
  ) {}

  getStatus(): number {
    return this.status;
  }
  getHeader(header: string): string | undefined {
    return this.headers[header.toLowerCase()];
  }
  getBody(): string {
    return '';
  }
  getUnderlyingObject(): unknown {
    return null;
  }
}
