import { ATTACHMENTS_PATH } from '../../sync/protocol/attachments.js';
import { CURRENT_SESSION_PATH, SESSIONS_PATH } from '../../sync/protocol/frames.js';
import type { SessionBook } from '../../sync/server/session-book.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';
import type { UploadWorld } from './memory-uploads.js';
import type { SeededRandom } from './random.js';
import type { Lifetime, Scheduler } from './scheduler.js';

/**
 * The server's plain HTTP endpoints a client core calls with `fetch` in the simulation: logging in
 * (a new session through a live node's real SessionBook; passwords are not checked, since hashing
 * them with scrypt on the thread pool would bring real time back in), listing and ending the
 * person's sessions ("Linked devices", "Unlink", signing out) through a live node's
 * real SessionBook (so the sockets of an ended session close on every node, as the cluster signal
 * carries it), and downloading an upload (the history a linking device handed over) by the real
 * download rule, `findDownloadable`, with the bytes the simulated upload endpoint holds. Each
 * request crosses the simulated network: it may be lost before the server acts, or its answer
 * lost after.
 */
export interface HttpWorld extends UploadWorld {
  /** A live node's sessions, or null while none is up. */
  sessions(): SessionBook | null;
  /** The bytes the server holds of an upload. */
  uploadBytes(id: string): Buffer | undefined;
  /** A device logged in: the session its token opens. */
  loggedIn(device: string, sessionId: string): void;
  /** With SIM_TRACE=1: each request and what became of it. */
  trace?(line: string): void;
}

type Answer = { status: number; body?: unknown };

export class SimHttp {
  private inFlight = 0;
  /** While set, requests are served at once, off the network and outside virtual time (see atOnce). */
  private immediate = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
    private readonly world: HttpWorld,
  ) {}

  /** Requests under way (quiet only when none is). */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * Runs `action` with its requests served at once, and waits for it whole while virtual time
   * stands still: for what happens outside the run's story (logging in on a new machine), whose
   * own work (the password hashed on the thread pool) would otherwise finish at a real time.
   */
  async atOnce<T>(action: () => Promise<T>): Promise<T> {
    this.immediate = true;
    try {
      return await action();
    } finally {
      this.immediate = false;
    }
  }

  /** What a device's core fetches through. */
  fetchFor(device: string, lifetime: Lifetime): typeof globalThis.fetch {
    return (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const method = (init?.method ?? 'GET').toUpperCase();
      const token = /^Bearer (.+)$/.exec(new Headers(init?.headers).get('authorization') ?? '')?.[1] ?? null;
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : null;
      this.world.trace?.(`${device} HTTP ${method} ${url.pathname}`);
      if (this.immediate) return this.serve(device, method, url.pathname, token, body).then(asResponse);
      return this.exchange(device, lifetime, () => this.serve(device, method, url.pathname, token, body));
    };
  }

  private exchange(device: string, lifetime: Lifetime, serve: () => Promise<Answer | Response>): Promise<Response> {
    this.inFlight += 1;
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        this.world.trace?.(`${device} HTTP failed: ${why}`);
        reject(new TypeError(`fetch failed: simulated network: ${why}`));
      };
      this.scheduler.schedule(this.world.delay(), () => {
        const server = this.world.serverLifetime();
        if (!this.world.reachable(device) || !server.alive) {
          this.inFlight -= 1;
          return fail('unreachable');
        }
        const faulty = this.random.next() < this.world.faultRate();
        const answerLost = faulty && this.random.chance(1 / 2);
        if (faulty && !answerLost) {
          this.inFlight -= 1;
          return fail('request lost');
        }
        void serve().then(
          (answer) => {
            this.scheduler.schedule(this.world.delay(), () => {
              this.inFlight -= 1;
              if (!lifetime.alive) return;
              if (answerLost || !server.alive || !this.world.reachable(device)) return fail('answer lost');
              this.world.trace?.(`${device} HTTP answered ${answer.status}`);
              resolve(asResponse(answer));
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

  /** The real endpoints' rules (http-sessions.ts, downloads-endpoint.ts), over the real store and a node's SessionBook. */
  private async serve(
    device: string,
    method: string,
    path: string,
    token: string | null,
    body: unknown,
  ): Promise<Answer | Response> {
    const sessions = this.world.sessions();
    const store = this.world.serverStore();
    if (!sessions || !store) return { status: 503 };
    if (path === SESSIONS_PATH && method === 'POST') return this.logIn(device, sessions, store, body);
    const caller = token ? await sessions.use(token) : null;
    if (!caller) return { status: 401, body: { error: 'unauthorized' } };
    if (path === SESSIONS_PATH && method === 'GET') return { status: 200, body: { sessions: await sessions.list(caller) } };
    if (path === CURRENT_SESSION_PATH && method === 'DELETE') {
      await sessions.end(caller, { current: true });
      return { status: 204 };
    }
    if (path.startsWith(`${SESSIONS_PATH}/`) && method === 'DELETE') {
      const ended = await sessions.end(caller, { id: path.slice(SESSIONS_PATH.length + 1) });
      return ended === 0 ? { status: 404, body: { error: 'not_found' } } : { status: 204 };
    }
    if (path.startsWith(`${ATTACHMENTS_PATH}/`) && method === 'GET') return this.download(store, caller.user.id, path);
    return { status: 404, body: { error: 'not_found' } };
  }

  private async logIn(device: string, sessions: SessionBook, store: ServerStore, body: unknown): Promise<Answer> {
    const { username, deviceName } = body as { username: string; deviceName: string | null };
    const user = await store.findUserByUsername(username);
    if (!user) return { status: 401, body: { code: 'unauthorized', message: 'Wrong username or password' } };
    const token = await sessions.open(user.id, deviceName);
    const opened = await sessions.use(token);
    this.world.loggedIn(device, opened!.sessionId);
    return { status: 200, body: { token, user: { id: user.id, username: user.username, displayName: user.displayName } } };
  }

  private async download(store: ServerStore, userId: string, path: string): Promise<Answer | Response> {
    const id = path.slice(ATTACHMENTS_PATH.length + 1);
    const upload = await store.findDownloadable(userId, id);
    const bytes = upload ? this.world.uploadBytes(id) : undefined;
    if (!bytes) return { status: 404, body: { error: 'not_found' } };
    return new Response(new Uint8Array(bytes), { status: 200, headers: { 'content-length': String(bytes.length) } });
  }
}

function asResponse(answer: Answer | Response): Response {
  if (answer instanceof Response) return answer;
  if (answer.body === undefined) return new Response(null, { status: answer.status });
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
}
