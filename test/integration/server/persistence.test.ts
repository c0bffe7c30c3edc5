import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseFromTheFutureError } from '../../../sync/node/sqlite.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { startSyncServer } from '../../../sync/server/sync-server.js';
import { CHEAP_PASSWORD_COST, createServerHarness, logIn } from '../../support/server-harness.js';

const h = createServerHarness();
afterEach(() => h.cleanup());

function userVersion(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('server data on disk', () => {
  it('survives a restart on the same data dir: accounts, sessions, conversations, events, watermarks', async () => {
    const first = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(first);
    for (const i of [1, 2, 3]) {
      await aliceSocket.call({ type: 'send', conversationId: conversation.id, clientMessageId: `p${i}`, text: `before ${i}` }, 'sent');
    }
    await bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: 2 }, 'ok');

    const second = await h.restart(first);
    expect(second.dataDir).toBe(first.dataDir);
    // Old tokens still open a socket; passwords still work.
    const bobAgain = await h.connect(second, bob.token);
    expect(bobAgain.user).toEqual(bob.user);
    expect((await logIn(second.httpUrl, alice.user.username, alice.password)).status).toBe(200);

    const events = (await bobAgain.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'events')).events;
    expect(events.map((e) => [e.seq, e.text])).toEqual([
      [1, 'before 1'],
      [2, 'before 2'],
      [3, 'before 3'],
    ]);
    const [listed] = (await bobAgain.call({ type: 'list_conversations' }, 'conversations')).conversations;
    expect(listed).toMatchObject({ id: conversation.id, lastSeq: 3 });
    expect(listed!.members.find((m) => m.id === bob.user.id)).toMatchObject({ deliveredSeq: 2, readSeq: 2 });

    // Numbering continues, and a resend from before the restart is still recognised.
    const aliceAgain = await h.connect(second, alice.token);
    const resend = await aliceAgain.call({ type: 'send', conversationId: conversation.id, clientMessageId: 'p3', text: 'before 3' }, 'sent');
    expect(resend.event.seq).toBe(3);
    const next = await aliceAgain.call({ type: 'send', conversationId: conversation.id, clientMessageId: 'p4', text: 'after' }, 'sent');
    expect(next.event.seq).toBe(4);
    // Same pair, same conversation.
    const same = await aliceAgain.call({ type: 'start_conversation', username: bob.user.username }, 'conversation');
    expect(same.conversation.id).toBe(conversation.id);
  });

  it('brings a new database to user_version = number of migrations', async () => {
    const server = await h.startServer();
    await server.close();
    expect(userVersion(join(server.dataDir, SERVER_DATABASE_FILE))).toBe(serverMigrations.length);
    expect(serverMigrations.map((m) => m.version)).toEqual(serverMigrations.map((_, i) => i + 1));
  });

  it('refuses a database written by a newer version, and leaves it untouched', async () => {
    const dataDir = await h.tempDir();
    const path = join(dataDir, SERVER_DATABASE_FILE);
    const future = new Database(path);
    future.exec('CREATE TABLE from_the_future (x INTEGER)');
    future.pragma(`user_version = ${serverMigrations.length + 1}`);
    future.close();

    await expect(startSyncServer({ port: 0, dataDir, passwordCost: CHEAP_PASSWORD_COST })).rejects.toBeInstanceOf(
      DatabaseFromTheFutureError,
    );
    expect(userVersion(path)).toBe(serverMigrations.length + 1);
  });
});
