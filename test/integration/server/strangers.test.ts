/**
 * Someone who is not a member of a conversation: every frame about it is refused as if it did not
 * exist (sending an envelope, deleting one, reading, receipts, typing, group changes), and none
 * tells them anything about it; on SQLite, without waiting for the lock writers take.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { createServerHarness, envelopesIn, testOpened, testSealed } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('a stranger (not a member)', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('is refused with the same not_found as for a conversation that does not exist, for every conversation op, and learns nothing', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'secret', 'secret');
    const mallory = await h.createAccount(server, { username: 'mallory' });
    const socket = await h.connect(server, mallory.token);

    for (const conversationId of [conversation.id, 'no-such-conversation']) {
      const envelope = (clientId: string) =>
        ({
          type: 'send_envelope',
          conversationId,
          clientId: `${clientId}-${conversationId}`,
          ciphertext: testSealed('x'),
        }) as const;
      const attempts = await Promise.all([
        // Naming no devices version, or an old one: a member would be told the devices, a stranger nothing.
        socket.call(envelope('m'), 'error'),
        socket.call({ ...envelope('v'), devicesVersion: 1 }, 'error'),
        socket.call({ type: 'catch_up', conversationId, afterSeq: 0 }, 'error'),
        socket.call({ type: 'receipt', conversationId, kind: 'read', seq: 1 }, 'error'),
        socket.call({ type: 'typing', conversationId }, 'error'),
        // Aimed at an envelope that does exist: the answer must not tell.
        socket.call({ ...envelope('d'), deletes: 'secret' }, 'error'),
        socket.call(
          { type: 'group_change', conversationId, clientChangeId: `g-${conversationId}`, change: { kind: 'leave' } },
          'error',
        ),
      ]);
      for (const error of attempts) {
        expect(error.code).toBe('not_found');
        expect(error.message).toBe('Conversation not found');
        expect(error.message).not.toContain(conversationId);
      }
    }

    expect((await socket.call({ type: 'list_conversations' }, 'conversations')).conversations).toEqual([]);
    // Nothing leaked into the conversation, and the members heard nothing.
    await Promise.all([aliceSocket.barrier(), bobSocket.barrier(), socket.barrier()]);
    const events = envelopesIn(
      (await bobSocket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'events')).events,
    );
    expect(events.map(testOpened)).toEqual(['secret']);
    expect(aliceSocket.pushesOf('watermark')).toEqual([]);
    expect(bobSocket.pushesOf('typing')).toEqual([]);
    expect(bobSocket.pushesOf('event')).toHaveLength(1);
    expect(socket.pushes.map((p) => p.type)).toEqual(['welcome']);
  });
});

describe('a stranger on the SQLite store', () => {
  const h = createServerHarness();
  afterEach(() => h.cleanup());

  it('is refused on one read, without the write lock every writer waits for', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    const mallory = await h.createAccount(server, { username: 'mallory' });
    const socket = await h.connect(server, mallory.token);

    // Another writer holds the database's write lock: a frame that needed it would wait out the
    // busy timeout and fail (internal), not be refused.
    const writer = new Database(join(server.dataDir, SERVER_DATABASE_FILE));
    writer.exec('BEGIN IMMEDIATE');
    try {
      const refusals = await Promise.all([
        socket.call(
          { type: 'send_envelope', conversationId: conversation.id, clientId: 'm1', ciphertext: testSealed('let me in') },
          'error',
        ),
        socket.call(
          { type: 'send_envelope', conversationId: conversation.id, clientId: 'd1', ciphertext: testSealed(''), deletes: 'x' },
          'error',
        ),
        socket.call(
          { type: 'group_change', conversationId: conversation.id, clientChangeId: 'g1', change: { kind: 'leave' } },
          'error',
        ),
      ]);
      expect(refusals.map((error) => error.code)).toEqual(['not_found', 'not_found', 'not_found']);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    // Members write as ever.
    const sent = await aliceSocket.send(conversation.id, 'hi', 'hi');
    expect(testOpened(sent)).toBe('hi');
  });
});
