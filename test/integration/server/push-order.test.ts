import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { ACCOUNT_CAPS, LIMITS } from '../../../sync/protocol/limits.js';
import { hashSessionToken } from '../../../sync/server/session-tokens.js';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { SyncService } from '../../../sync/server/sync-service.js';
import { MemoryServerSocket } from '../../sim/memory-server-socket.js';
import { describeEachStore } from '../../support/store-backends.js';

/**
 * The order in which the server writes to different connections, seen through in-memory sockets
 * that record every frame the moment it is written (real sockets could reorder frames between
 * connections on their way to the test).
 */
interface Written {
  to: string;
  type: string;
  kind?: string;
}

describeEachStore('the order of a reply and its pushes', (backend) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function twoPeople(): Promise<{
    service: SyncService;
    written: Written[];
    connect: (who: 'alice' | 'bob') => Promise<MemoryServerSocket>;
    conversationId: string;
    envelopeFrame: (socket: MemoryServerSocket) => Promise<string>;
  }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'push-order-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const database = await backend.createDatabase(dataDir);
    cleanups.push(() => database.dispose());
    const store = await database.open();
    cleanups.push(() => store.close());
    const people = { alice: await person(store, 'alice'), bob: await person(store, 'bob') };
    const conversationId = directConversationId(people.alice.id, people.bob.id);
    await store.createConversation({
      conversationId,
      creatorId: people.alice.id,
      conversation: { kind: 'direct', userId: people.bob.id },
      createdAt: Date.now(),
      maxMembers: LIMITS.maxGroupMembers,
      caps: UNCAPPED,
    });
    const errors: string[] = [];
    const service = new SyncService({
      store,
      runtime: realRuntime(),
      logger: { error: (message, error) => errors.push(`${message}: ${String(error)}`), warn: () => undefined },
      heartbeatMs: 0,
      caps: UNCAPPED,
    });
    await service.start();
    cleanups.push(async () => {
      await service.close();
      expect(errors).toEqual([]);
    });
    const written: Written[] = [];
    let devicesVersion: number | undefined;
    const connect = async (who: 'alice' | 'bob') => {
      const session = await service.authenticate(people[who].token);
      if (!session) throw new Error(`${who}'s session does not open`);
      const socket = new MemoryServerSocket(
        (text) => {
          const frame = JSON.parse(text) as { type: string; event?: { kind: string }; devices?: { version: number } };
          if (frame.devices) devicesVersion = frame.devices.version;
          written.push({ to: who, type: frame.type, ...(frame.event ? { kind: frame.event.kind } : {}) });
        },
        () => undefined,
      );
      service.attach(socket, session);
      await vi.waitFor(() => expect(written.filter((frame) => frame.to === who && frame.type === 'welcome')).toHaveLength(1));
      return socket;
    };
    /** An envelope frame sealed for the conversation's devices now, learnt as a client does (refused once). */
    const envelopeFrame = async (socket: MemoryServerSocket) => {
      const frame = { type: 'send_envelope', conversationId, clientId: crypto.randomUUID(), ciphertext: 'AAAA' };
      socket.deliver(JSON.stringify({ ...frame, rid: 'learn-devices' }));
      await vi.waitFor(() => expect(devicesVersion).toBeDefined());
      return JSON.stringify({ ...frame, rid: 's1', devicesVersion });
    };
    return { service, written, connect, conversationId, envelopeFrame };
  }

  it('an envelope is written to its recipients before the reply to its sender', async () => {
    const { written, connect, envelopeFrame } = await twoPeople();
    const alice = await connect('alice');
    await connect('bob');
    const envelope = await envelopeFrame(alice);
    written.length = 0;

    alice.deliver(envelope);
    await vi.waitFor(() => expect(written.some((frame) => frame.type === 'sent')).toBe(true));
    expect(written.filter((frame) => frame.type === 'sent' || frame.type === 'event')).toEqual([
      { to: 'bob', type: 'event', kind: 'envelope' },
      { to: 'alice', type: 'sent', kind: 'envelope' },
    ]);
  });

  it('a push that reaches the requester too follows its reply, on every connection', async () => {
    const { written, connect, conversationId, envelopeFrame } = await twoPeople();
    const alice = await connect('alice');
    await connect('bob');
    alice.deliver(await envelopeFrame(alice));
    await vi.waitFor(() => expect(written.some((frame) => frame.type === 'sent')).toBe(true));
    written.length = 0;

    // A receipt's watermark goes to every member, the reader's own connection included.
    alice.deliver(JSON.stringify({ type: 'receipt', rid: 'r1', conversationId, kind: 'read', seq: 1 }));
    await vi.waitFor(() => expect(written.filter((frame) => frame.type === 'watermark')).toHaveLength(2));
    expect(written.filter((frame) => frame.type === 'ok' || frame.type === 'watermark')).toEqual([
      { to: 'alice', type: 'ok' },
      { to: 'alice', type: 'watermark' },
      { to: 'bob', type: 'watermark' },
    ]);
  });
});

async function person(store: ServerStore, username: string): Promise<{ id: string; token: string }> {
  const id = crypto.randomUUID();
  const token = crypto.randomUUID().replaceAll('-', '');
  const created = await store.createUser({
    id,
    username,
    displayName: username,
    passwordHash: 'unused here',
    createdAt: Date.now(),
  });
  if (created.status !== 'created') throw new Error(`Could not create ${username}`);
  await store.createSession({
    id: crypto.randomUUID(),
    tokenHash: hashSessionToken(token),
    userId: id,
    deviceName: null,
    createdAt: Date.now(),
    maxDevices: ACCOUNT_CAPS.maxDevicesPerAccount,
    expiredBefore: 0,
  });
  return { id, token };
}
