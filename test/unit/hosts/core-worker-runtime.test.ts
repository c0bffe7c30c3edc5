/** The worker's relay logic, driven in-process through a fake port (no thread). */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isCoreWorkerData,
  parseHostMessage,
  parseWorkerMessage,
  type WorkerToHost,
} from '../../../main/node/core-worker-protocol.js';
import { runCoreWorker } from '../../../main/node/core-worker-runtime.js';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { MirrorUnreadableError } from '../../../sync/client/mirror/mirror-unreadable.js';
import { createFakeCore, type FakeCore } from '../../integration/hosts/fixtures/fake-core.js';
import { memoryFileKeys } from '../../support/file-keys.js';

class FakePort extends EventEmitter {
  readonly sent: WorkerToHost[] = [];
  closed = false;
  private waiters: Array<{ match: (m: WorkerToHost) => boolean; resolve: (m: WorkerToHost) => void }> = [];

  postMessage(message: WorkerToHost): void {
    // Structured clone, as the real port does.
    const copy = structuredClone(message);
    this.sent.push(copy);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(copy)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(copy);
      }
    }
  }
  close(): void {
    this.closed = true;
  }
  fromHost(message: unknown): void {
    this.emit('message', message);
  }
  next(match: (m: WorkerToHost) => boolean): Promise<WorkerToHost> {
    const found = this.sent.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
  reply(id: number): Promise<WorkerToHost> {
    return this.next((m) => m.type === 'reply' && m.id === id);
  }
}

/** A class instance whose other methods come from the fake core (own properties, prototype kept). */
function withFake(instance: object): ClientCore {
  const fake = createFakeCore('unused');
  for (const key of Object.keys(fake) as Array<keyof ClientCore>) {
    if (!(key in instance)) Object.defineProperty(instance, key, Object.getOwnPropertyDescriptor(fake, key)!);
  }
  return instance as ClientCore;
}

const data = { profileDir: '/profiles/ann', defaultServerUrl: 'ws://127.0.0.1:7878' };

function start(open: () => Promise<ClientCore>) {
  const port = new FakePort();
  runCoreWorker(port, data, open);
  return port;
}

describe('runCoreWorker', () => {
  it('opens the core with the worker data, announces ready, and dispatches validated calls', async () => {
    let core!: FakeCore;
    let openedWith: unknown;
    const port = new FakePort();
    runCoreWorker(port, { ...data, nativeBinding: '/x/better_sqlite3.node' }, async (options) => {
      openedWith = options;
      core = createFakeCore(options.defaultServerUrl);
      return core;
    });
    // A call sent before the core is open waits for it rather than failing.
    port.fromHost({ type: 'call', id: 1, method: 'getDefaults', args: {} });
    await port.next((m) => m.type === 'ready');
    expect(openedWith).toEqual({
      ...data,
      nativeBinding: '/x/better_sqlite3.node',
      onFileKeys: expect.any(Function) as unknown,
      logger: expect.any(Object) as unknown,
    });
    expect(await port.reply(1)).toEqual({
      type: 'reply',
      id: 1,
      reply: { ok: true, result: { serverUrl: data.defaultServerUrl } },
    });

    port.fromHost({ type: 'call', id: 2, method: 'sendMessage', args: { conversationId: 'c1' } });
    const invalid = await port.reply(2);
    expect(invalid.type === 'reply' && !invalid.reply.ok && invalid.reply.error.code).toBe('invalid_argument');

    port.fromHost({ type: 'call', id: 3, method: 'nope', args: {} });
    const unknown = await port.reply(3);
    expect(unknown.type === 'reply' && !unknown.reply.ok && unknown.reply.error.code).toBe('invalid_argument');

    port.fromHost({ type: 'call', id: 4, method: 'startConversation', args: { username: 'bob' } });
    expect(await port.reply(4)).toEqual({
      type: 'reply',
      id: 4,
      reply: { ok: false, error: { code: 'not_signed_in', message: 'Sign in first' } },
    });
    expect(core.calls.map((c) => c.method)).toEqual(['getDefaults', 'startConversation']);
  });

  it('forwards core events and stops after close', async () => {
    let core!: FakeCore;
    const port = start(async () => (core = createFakeCore('ws://x:1')));
    await port.next((m) => m.type === 'ready');
    core.emit({ type: 'connection', state: 'online' });
    expect(await port.next((m) => m.type === 'event')).toEqual({ type: 'event', event: { type: 'connection', state: 'online' } });

    port.fromHost({ type: 'close' });
    await port.next((m) => m.type === 'closed');
    expect(core.closed).toBe(true);
    expect(port.closed).toBe(true);
    const before = port.sent.length;
    core.emit({ type: 'conversations' });
    port.fromHost({ type: 'call', id: 9, method: 'getDefaults', args: {} });
    // Everything already queued (microtasks included) runs before setImmediate fires.
    await new Promise((resolve) => setImmediate(resolve));
    expect(port.sent.length).toBe(before);
  });

  it('reports a core that cannot be opened, and answers calls with internal errors', async () => {
    const port = start(async () => {
      throw new Error('database is from the future');
    });
    port.fromHost({ type: 'call', id: 1, method: 'getDefaults', args: {} });
    expect(await port.next((m) => m.type === 'failed')).toEqual({ type: 'failed', message: 'database is from the future' });
    const reply = await port.reply(1);
    expect(reply.type === 'reply' && !reply.reply.ok && reply.reply.error.code).toBe('internal');
    process.exitCode = 0; // the runtime marks the (here: test) process as failed
  });

  it('hands the mirror key to the core as bytes, and names an unreadable mirror by its code', async () => {
    let openedWith: { mirrorKey?: Uint8Array } | undefined;
    const key = 'ab'.repeat(32);
    const port = new FakePort();
    runCoreWorker(port, { ...data, mirrorKey: key }, async (options) => {
      openedWith = options;
      throw new MirrorUnreadableError('/p/mirror.sqlite', new Error('file is not a database'));
    });
    const failed = await port.next((m) => m.type === 'failed');
    expect(Buffer.from(openedWith!.mirrorKey!).toString('hex')).toBe(key);
    expect(failed).toMatchObject({ type: 'failed', code: 'mirror_unreadable' });
    expect(parseWorkerMessage(failed)).toMatchObject({ code: 'mirror_unreadable' });
    expect(isCoreWorkerData({ ...data, mirrorKey: key })).toBe(true);
    expect(isCoreWorkerData({ ...data, mirrorKey: 'not a key' })).toBe(false);
    process.exitCode = 0; // the runtime marks the (here: test) process as failed
  });

  it('keeps `this` for a class-based core', async () => {
    // Every method but getDefaults comes from the fake; getDefaults reads a private field via `this`.
    class ClassCore {
      readonly #url = 'ws://class:1';
      async getDefaults() {
        return { serverUrl: this.#url };
      }
    }
    const port = start(async () => withFake(new ClassCore()));
    await port.next((m) => m.type === 'ready');
    port.fromHost({ type: 'call', id: 1, method: 'getDefaults', args: {} });
    expect(await port.reply(1)).toEqual({ type: 'reply', id: 1, reply: { ok: true, result: { serverUrl: 'ws://class:1' } } });
  });

  it('ignores malformed host messages', async () => {
    const port = start(async () => createFakeCore('ws://x:1'));
    await port.next((m) => m.type === 'ready');
    for (const junk of [null, 'close', { type: 'call' }, { type: 'call', id: '1', method: 'getDefaults' }, { type: 'exit' }]) {
      port.fromHost(junk);
    }
    port.fromHost({ type: 'call', id: 5, method: 'getConnectionState', args: {} });
    expect(await port.reply(5)).toEqual({ type: 'reply', id: 5, reply: { ok: true, result: 'offline' } });
  });
});

describe('attachment file keys through the worker', () => {
  it("answers the host's file gateway from the open mirror's keys, and from nothing else", async () => {
    const keys = memoryFileKeys();
    const port = start(() => Promise.resolve(createFakeCore('ws://x')));
    const keyed = new FakePort();
    runCoreWorker(keyed, data, (options) => {
      options.onFileKeys?.(keys);
      return Promise.resolve(createFakeCore('ws://x'));
    });
    const keyId = 'ab'.repeat(16);
    const key = randomBytes(32);
    const replyTo = (p: FakePort, id: number) => p.next((m) => m.type === 'file_key_reply' && m.id === id);

    keyed.fromHost({ type: 'file_key', id: 1, op: 'add', keyId, key: key.toString('hex') });
    expect(await replyTo(keyed, 1)).toEqual({ type: 'file_key_reply', id: 1, ok: true, key: null });
    expect(keys.keys.get(keyId)).toEqual(key);
    keyed.fromHost({ type: 'file_key', id: 2, op: 'get', keyId });
    expect(await replyTo(keyed, 2)).toEqual({ type: 'file_key_reply', id: 2, ok: true, key: key.toString('hex') });
    keyed.fromHost({ type: 'file_key', id: 3, op: 'forget', keyId });
    await replyTo(keyed, 3);
    expect(keys.keys.size).toBe(0);
    // Malformed requests are dropped; the app API (which the page reaches) knows no such method.
    keyed.fromHost({ type: 'file_key', id: 4, op: 'get', keyId: '../x' });
    keyed.fromHost({ type: 'call', id: 5, method: 'fileKeys', args: { keyId } });
    expect(await keyed.reply(5)).toMatchObject({ reply: { ok: false } });
    expect(keyed.sent.some((m) => m.type === 'file_key_reply' && m.id === 4)).toBe(false);

    // A core that gave no keys (in recovery) says so instead of answering.
    port.fromHost({ type: 'file_key', id: 6, op: 'get', keyId });
    expect(await replyTo(port, 6)).toMatchObject({ type: 'file_key_reply', id: 6, ok: false });
  });
});

describe('worker message parsing', () => {
  it('accepts the protocol and rejects anything else', () => {
    expect(parseHostMessage({ type: 'call', id: 1, method: 'm', args: [1] })).toEqual({
      type: 'call',
      id: 1,
      method: 'm',
      args: [1],
    });
    expect(parseHostMessage({ type: 'close', extra: 1 })).toEqual({ type: 'close' });
    expect(parseHostMessage({ type: 'call', id: 1.5, method: 'm' })).toBeNull();
    expect(parseWorkerMessage({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseWorkerMessage({ type: 'reply', id: 1, reply: { ok: true, result: null } })).toEqual({
      type: 'reply',
      id: 1,
      reply: { ok: true, result: null },
    });
    expect(parseWorkerMessage({ type: 'reply', id: 1 })).toBeNull();
    expect(parseWorkerMessage({ type: 'event', event: { type: 'conversations' } })).toEqual({
      type: 'event',
      event: { type: 'conversations' },
    });
    expect(parseWorkerMessage({ type: 'failed' })).toEqual({ type: 'failed', message: 'unknown error' });
    expect(parseWorkerMessage('ready')).toBeNull();
  });

  it('takes GIF requests with a whole-number id, and replies carrying bytes or a code', () => {
    expect(parseHostMessage({ type: 'gif', id: 3, gifId: 'cat' })).toEqual({ type: 'gif', id: 3, gifId: 'cat' });
    expect(parseHostMessage({ type: 'gif', id: 3.5, gifId: 'cat' })).toBeNull();
    expect(parseHostMessage({ type: 'gif', id: 3, gifId: 7 })).toBeNull();
    const bytes = new Uint8Array([71, 73, 70]);
    expect(parseWorkerMessage({ type: 'gif_reply', id: 3, ok: true, bytes })).toEqual({
      type: 'gif_reply',
      id: 3,
      ok: true,
      bytes,
    });
    expect(parseWorkerMessage({ type: 'gif_reply', id: 3, ok: true, bytes: 'GIF' })).toBeNull();
    expect(parseWorkerMessage({ type: 'gif_reply', id: 3, ok: false, code: 'not_found', message: 'not_found' })).toEqual({
      type: 'gif_reply',
      id: 3,
      ok: false,
      code: 'not_found',
      message: 'not_found',
    });
    expect(parseWorkerMessage({ type: 'gif_reply', id: 3, ok: false })).toBeNull();
  });
});
