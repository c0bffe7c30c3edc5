import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { DatabaseFromTheFutureError, openDatabase } from '../../../sync/node/sqlite.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { hashSessionToken } from '../../../sync/server/session-tokens.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { startSyncServer } from '../../../sync/server/sync-server.js';
import { CHEAP_PASSWORD_COST, createServerHarness } from '../../support/server-harness.js';
import { sealedSetting } from '../../support/sealed-setting.js';
import { attachmentOf, bearer, download, sendAttachments, testFile, uploadFile } from './attachment-support.js';

// SQLite only: these are the SQLite schema's own migrations, checked in its file.
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

const ALICE_TOKEN = 'a'.repeat(64);
const BOB_TOKEN = 'b'.repeat(64);
/** When the fixtures' sessions were opened: recently enough not to have expired (90 days unused) on the real clock. */
const RECENTLY = Date.now() - 60_000;

/**
 * A database exactly as version 1 of the server left it: two users with sessions, their
 * conversation with watermarks, and a log in which both used the client id "x" (version 1 only
 * kept client ids unique per sender).
 */
/**
 * Alice and Bob with their sessions and their direct conversation `c1`, as a version 3 or 4
 * database holds them: `lastSeq` events stored (the caller writes them), both watermarks there.
 */
function seedAliceAndBob(db: ReturnType<typeof openDatabase>, c1: string, lastSeq: number): void {
  const user = db.prepare(`INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', 1)`);
  user.run('u-alice', 'alice', 'Alice');
  user.run('u-bob', 'bob', 'Bob');
  db.prepare(`INSERT INTO sessions VALUES (?, 'u-alice', ?)`).run(hashSessionToken(ALICE_TOKEN), RECENTLY);
  db.prepare(`INSERT INTO sessions VALUES (?, 'u-bob', ?)`).run(hashSessionToken(BOB_TOKEN), RECENTLY);
  db.prepare(
    `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at)
     VALUES (?, 'direct', 'u-alice u-bob', NULL, 'u-alice', ?, 2, 10)`,
  ).run(c1, lastSeq);
  const member = db.prepare(`INSERT INTO members VALUES (?, ?, 'member', ?, ?, ?)`);
  member.run(c1, 'u-alice', 0, lastSeq, lastSeq);
  member.run(c1, 'u-bob', 1, lastSeq, lastSeq);
  db.prepare(`INSERT INTO member_periods VALUES (?, 'u-alice', 1, NULL), (?, 'u-bob', 1, NULL)`).run(c1, c1);
}

function writeVersion1Database(path: string): void {
  const db = openDatabase(path, serverMigrations.slice(0, 1));
  try {
    const user = db.prepare(`INSERT INTO users VALUES (?, ?, ?, 'no-password', 1)`);
    user.run('u-alice', 'alice', 'Alice');
    user.run('u-bob', 'bob', 'Bob');
    const session = db.prepare(`INSERT INTO sessions VALUES (?, ?, ?)`);
    session.run(hashSessionToken(ALICE_TOKEN), 'u-alice', RECENTLY);
    session.run(hashSessionToken(BOB_TOKEN), 'u-bob', RECENTLY);
    db.prepare(`INSERT INTO conversations VALUES ('c1', 'direct', 'u-alice u-bob', 3, 10)`).run();
    db.prepare(`INSERT INTO members VALUES ('c1', 'u-alice', 3, 3), ('c1', 'u-bob', 2, 1)`).run();
    const event = db.prepare(
      `INSERT INTO events (conversation_id, seq, kind, sender_id, client_message_id, text, sent_at)
       VALUES ('c1', ?, 'message', ?, ?, ?, ?)`,
    );
    event.run(1, 'u-alice', 'x', 'first', 100);
    event.run(2, 'u-bob', 'x', 'same id', 200);
    event.run(3, 'u-alice', 'y', 'third', 300);
  } finally {
    db.close();
  }
}

describe('server schema migrations', () => {
  it('brings a new database to the latest user_version (one per migration)', async () => {
    const server = await h.startServer();
    await server.close();
    expect(userVersion(join(server.dataDir, SERVER_DATABASE_FILE))).toBe(serverMigrations.length);
    expect(serverMigrations.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it('upgrades a version 1 database with data to the latest, keeping every row; the direct conversation takes its pair-derived id', async () => {
    const dataDir = await h.tempDir();
    const path = join(dataDir, SERVER_DATABASE_FILE);
    writeVersion1Database(path);
    expect(userVersion(path)).toBe(1);

    const server = await h.startServer({ dataDir });
    const alice = await h.connect(server, ALICE_TOKEN);
    const bob = await h.connect(server, BOB_TOKEN);
    expect(alice.user).toEqual({ id: 'u-alice', username: 'alice', displayName: 'Alice' });

    const c1 = directConversationId('u-alice', 'u-bob');
    expect(await bob.call({ type: 'catch_up', conversationId: 'c1', afterSeq: 0 }, 'error')).toMatchObject(
      REFUSALS.conversation_not_found,
    );
    const base = { kind: 'message', conversationId: c1, replyTo: null, deleted: false, attachments: [] };
    expect(await bob.allEvents(c1)).toEqual([
      { ...base, seq: 1, senderId: 'u-alice', clientMessageId: 'x', text: 'first', sentAt: 100 },
      { ...base, seq: 2, senderId: 'u-bob', clientMessageId: 'x', text: 'same id', sentAt: 200 },
      { ...base, seq: 3, senderId: 'u-alice', clientMessageId: 'y', text: 'third', sentAt: 300 },
    ]);
    const [conversation] = (await alice.call({ type: 'list_conversations' }, 'conversations')).conversations;
    expect(conversation).toMatchObject({ id: c1, kind: 'direct', name: null, lastSeq: 3, createdAt: 10, isMember: true });
    expect(conversation!.members.map((m) => [m.id, m.role, m.deliveredSeq, m.readSeq])).toEqual([
      ['u-alice', 'member', 3, 3],
      ['u-bob', 'member', 2, 1],
    ]);
    // Starting it again (online by username, or offline by the derived id) finds this one.
    const again = await bob.call(
      { type: 'create_conversation', conversationId: c1, conversation: { kind: 'direct', userId: 'u-alice' } },
      'conversation',
    );
    expect(again.conversation).toMatchObject({ id: c1, lastSeq: 3 });

    // The earliest "x" keeps the identity: it is Alice's, so Bob may not edit "x".
    expect(await alice.change(c1, 'e1', { kind: 'edit', messageId: 'x', text: 'first!' })).toMatchObject({ seq: 4 });
    const bobsEdit = await bob.call(
      { type: 'change', conversationId: c1, clientChangeId: 'e2', change: { kind: 'edit', messageId: 'x', text: 'mine' } },
      'error',
    );
    expect(bobsEdit).toMatchObject(REFUSALS.not_author);
    // Old client ids are still known: resends are recognised, numbering continues.
    expect(await bob.send(c1, 'x', 'same id')).toMatchObject({ seq: 2 });
    expect(await alice.send(c1, 'z', 'after the upgrade', 'y')).toMatchObject({ seq: 5, replyTo: 'y' });
    // Presence has a place to go now: never seen until a last connection closes.
    expect(await bob.waitForPush('presence')).toMatchObject({ userId: 'u-alice', online: true, lastSeenAt: null });

    await server.close();
    expect(userVersion(path)).toBe(serverMigrations.length);
  });

  it('upgrades a version 3 database to 4: its messages carry no attachments, and new ones can', async () => {
    const dataDir = await h.tempDir();
    const path = join(dataDir, SERVER_DATABASE_FILE);
    const c1 = directConversationId('u-alice', 'u-bob');
    const db = openDatabase(path, serverMigrations.slice(0, 3));
    try {
      seedAliceAndBob(db, c1, 1);
      db.prepare(
        `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at)
         VALUES (?, 1, 'message', 'u-alice', 'old', 'old', 'from before attachments', 100)`,
      ).run(c1);
    } finally {
      db.close();
    }

    const server = await h.startServer({ dataDir });
    const alice = await h.connect(server, ALICE_TOKEN);
    expect(await alice.allEvents(c1)).toEqual([
      {
        kind: 'message',
        conversationId: c1,
        seq: 1,
        senderId: 'u-alice',
        clientMessageId: 'old',
        text: 'from before attachments',
        replyTo: null,
        deleted: false,
        attachments: [],
        sentAt: 100,
      },
    ]);
    const file = await testFile(dataDir, 100, 'upgrade.bin');
    const id = await uploadFile(server.httpUrl, ALICE_TOKEN, file);
    await sendAttachments(alice, c1, 'new', [attachmentOf(id, file)]);
    expect((await download(server.httpUrl, id, bearer(BOB_TOKEN))).bytes.equals(file.bytes)).toBe(true);
    await server.close();
    expect(userVersion(path)).toBe(serverMigrations.length);
  });

  it('upgrades a version 4 database to 5: its events are all served, and settings, pins and blocks work on it', async () => {
    const dataDir = await h.tempDir();
    const path = join(dataDir, SERVER_DATABASE_FILE);
    const c1 = directConversationId('u-alice', 'u-bob');
    const db = openDatabase(path, serverMigrations.slice(0, 4));
    try {
      seedAliceAndBob(db, c1, 2);
      const event = db.prepare(
        `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at)
         VALUES (?, ?, 'message', ?, ?, ?, ?, ?)`,
      );
      event.run(c1, 1, 'u-alice', 'old-a', 'old-a', 'from alice', 100);
      event.run(c1, 2, 'u-bob', 'old-b', 'old-b', 'from bob', 200);
    } finally {
      db.close();
    }

    const server = await h.startServer({ dataDir });
    const alice = await h.connect(server, ALICE_TOKEN);
    const bob = await h.connect(server, BOB_TOKEN);
    // Nothing stored before the upgrade is hidden from anyone.
    expect((await bob.allEvents(c1)).map((e) => [e.seq, e.kind, e.senderId])).toEqual([
      [1, 'message', 'u-alice'],
      [2, 'message', 'u-bob'],
    ]);
    // Both people of a direct conversation pin; the pin is an event with the next seq.
    expect(await bob.change(c1, 'pin-1', { kind: 'pin', messageId: 'old-a', on: true })).toMatchObject({
      kind: 'pin',
      seq: 3,
      messageId: 'old-a',
      on: true,
    });
    // Settings start at version 1 for every user.
    const muted = await alice.call(
      { type: 'set_settings', settings: [{ setting: sealedSetting(`muted ${c1}`, 'true'), at: 5, by: 'd1' }] },
      'settings',
    );
    expect(muted.settings).toEqual([{ setting: sealedSetting(`muted ${c1}`, 'true'), at: 5, by: 'd1', version: 1 }]);
    await alice.call(
      { type: 'set_settings', settings: [{ setting: { kind: 'blocked', userId: 'u-bob', value: true }, at: 6, by: 'd1' }] },
      'settings',
    );
    expect(await bob.send(c1, 'after-block', 'not for alice')).toMatchObject({ seq: 4 });
    expect((await alice.allEvents(c1)).map((e) => e.seq)).toEqual([1, 2, 3]);
    await server.close();
    expect(userVersion(path)).toBe(serverMigrations.length);
  });

  it('upgrades a version 5 database to 6: sessions get ids and a last use (their person’s last seen), and long-unused ones expire', async () => {
    const dataDir = await h.tempDir();
    const path = join(dataDir, SERVER_DATABASE_FILE);
    const db = openDatabase(path, serverMigrations.slice(0, 5));
    try {
      const user = db.prepare(
        `INSERT INTO users (id, username, display_name, password_hash, created_at, last_seen_at) VALUES (?, ?, ?, 'x', 1, ?)`,
      );
      user.run('u-alice', 'alice', 'Alice', RECENTLY);
      user.run('u-bob', 'bob', 'Bob', null);
      // Both opened in 1970; Alice was seen a minute ago, Bob never.
      db.prepare(`INSERT INTO sessions VALUES (?, 'u-alice', 1)`).run(hashSessionToken(ALICE_TOKEN));
      db.prepare(`INSERT INTO sessions VALUES (?, 'u-bob', 1)`).run(hashSessionToken(BOB_TOKEN));
    } finally {
      db.close();
    }

    const server = await h.startServer({ dataDir });
    const list = (token: string) => fetch(`${server.httpUrl}/v1/sessions`, { headers: { authorization: `Bearer ${token}` } });
    const alice = await list(ALICE_TOKEN);
    expect(alice.status).toBe(200);
    const { sessions } = (await alice.json()) as { sessions: Array<Record<string, unknown>> };
    const anId: unknown = expect.stringMatching(/^[0-9a-f]{32}$/);
    const aTime: unknown = expect.any(Number);
    expect(sessions).toEqual([{ id: anId, deviceName: null, createdAt: 1, lastUsedAt: aTime, current: true }]);
    expect(sessions[0]!.lastUsedAt).toBeGreaterThanOrEqual(RECENTLY);
    expect((await list(BOB_TOKEN)).status).toBe(401);
    await server.close();
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
