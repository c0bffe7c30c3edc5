/**
 * Helpers for driving real client cores (mirror + outbox + sync engine) against a real server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { openClientCore } from '../../sync/client/client-core.js';
import type { SocketHandlers, SyncSocket, SyncTransport } from '../../sync/client/transport.js';
import { wsTransport } from '../../sync/client/ws-transport.js';
import type { ClientFrame, ServerFrame } from '../../sync/protocol/frames.js';

export interface ClientHarness {
  profileDir(): Promise<string>;
  open(profileDir: string, serverUrl: string, transport?: SyncTransport): Promise<TestCore>;
  cleanup(): Promise<void>;
}

export interface TestCore extends ClientCore {
  events: AppEvent[];
  /** The profile folder it was opened on (its mirror and attachment store). */
  profileDir: string;
}

export function createClientHarness(): ClientHarness {
  const dirs: string[] = [];
  const cores = new Set<ClientCore>();
  return {
    async profileDir() {
      const dir = await mkdtemp(join(tmpdir(), 'messenger-profile-'));
      dirs.push(dir);
      return dir;
    },
    async open(profileDir, serverUrl, transport) {
      const core = await openClientCore({ profileDir, defaultServerUrl: serverUrl }, transport ? { transport } : {});
      const events: AppEvent[] = [];
      core.subscribe((event) => events.push(event));
      cores.add(core);
      const close = core.close.bind(core);
      return Object.assign(core, {
        events,
        profileDir,
        close: async () => {
          cores.delete(core);
          await close();
        },
      });
    },
    async cleanup() {
      await Promise.all([...cores].map((core) => core.close()));
      cores.clear();
      await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** Polls `probe` until it returns a value that passes `accept`; fails with the last value seen. */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Forward the frame, drop it, or (client frames only) answer it in the server's place. */
export type FrameVerdict = 'pass' | 'drop' | { answer: ServerFrame };

/**
 * Wraps the real WebSocket transport so a test can drop or inspect frames in either direction,
 * or cut the connection at a chosen moment: the faults a flaky network produces.
 */
export class FaultyTransport implements SyncTransport {
  fromServer: (frame: ServerFrame, socket: SyncSocket) => FrameVerdict = () => 'pass';
  fromClient: (frame: ClientFrame, socket: SyncSocket) => FrameVerdict = () => 'pass';
  readonly sent: ClientFrame[] = [];
  /** For each flush(): how many frames had been passed on by then (`sent.length`). */
  readonly flushes: number[] = [];

  open(url: string, token: string, handlers: SocketHandlers): SyncSocket {
    // The outer socket is made first: the inner one's handlers hand frames to it.
    const box: { inner?: SyncSocket } = {};
    const outer: SyncSocket = {
      send: (text) => {
        const frame = JSON.parse(text) as ClientFrame;
        const verdict = this.fromClient(frame, outer);
        if (verdict === 'drop') return;
        if (verdict !== 'pass') {
          setTimeout(() => handlers.onMessage(JSON.stringify(verdict.answer)), 0);
          return;
        }
        this.sent.push(frame);
        box.inner?.send(text);
      },
      flush: () => {
        this.flushes.push(this.sent.length);
        box.inner?.flush?.();
      },
      close: () => box.inner?.close(),
    };
    box.inner = wsTransport.open(url, token, {
      onOpen: () => handlers.onOpen(),
      onClose: (info) => handlers.onClose(info),
      onMessage: (text) => {
        if (this.fromServer(JSON.parse(text) as ServerFrame, outer) !== 'pass') return;
        handlers.onMessage(text);
      },
    });
    return outer;
  }
}

/** Holds back the frames from the server that `held` picks while it does, until released. */
export function holdingFrames(held: (text: string) => boolean): { transport: SyncTransport; waiting: string[]; release(): void } {
  const waiting: string[] = [];
  let deliver: ((text: string) => void) | null = null;
  return {
    waiting,
    release: () => {
      for (const text of waiting.splice(0)) deliver?.(text);
    },
    transport: {
      open(url, token, handlers) {
        deliver = (text) => handlers.onMessage(text);
        return wsTransport.open(url, token, {
          ...handlers,
          onMessage: (text) => (held(text) ? waiting.push(text) : handlers.onMessage(text)),
        });
      },
    },
  };
}
