import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { directConversationId } from '../../../sync/common/conversation-ids.js';
import { DatabaseFromTheFutureError, openDatabase } from '../../../sync/node/sqlite.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { hashSessionToken } from '../../../sync/server/session-tokens.js';
import type { PlaintextHeld } from '../../../sync/server/store/server-store.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { openSqliteServerStore, SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { startSyncServer } from '../../../sync/server/sync-server.js';
import { CHEAP_PASSWORD_COST, createServerHarness, envelopesIn, testOpened } from '../../support/server-harness.js';
import { sealedSetting } from '../../support/sealed-setting.js';
import { bearer, download, sendAttachments, testFile, uploadFile } from './attachment-support.js';

// SQLite only: these are the SQLite schema's own migrations, checked in its file. The messages of
// the old versions' logs were kept in the clear: each test looks at the rows its migration left,
// then purges them (plaintext.ts: the server does not start while it holds them) and starts a server.
const h = createServerHarness();
afterEach(() => h.cleanup());

/** Rows of the server database at `path`, migrated to the newest, as `sql` selects them. */
function rowsOf(path: string, sql: string): unknown[] {
  const db = openDatabase(path, serverMigrations);
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** purge-plaintext on the data folder, through the store: what it deleted. */
async function purge(dataDir: string): Promise<PlaintextHeld> {
  const store = openSqliteServerStore(dataDir);
  try {
    return await store.purgePlaintext();
  } finally {
    await store.close();
  }
}

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

/**
 * A database exactly as version 1 of the server left it: two users with sessions, their
 * conversation with watermarks, and a log in which both used the client id "x" (version 1 only
 * kept client ids unique per sender).
 */
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
    expect(serverMigrations.map((m) => m.version)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    ]);
  });

  it('upgrades a version 1 database with data to the latest, keeping every row; the direct conversation takes its pair-derived id', async () => {
    const dataDir = await h.tempDir();
    const path = join(dataDir, SERVER_DATABASE_FILE);
    writeVersion1Database(path);
    expect(userVersion(path)).toBe(1);

    const c1 = directConversationId('u-alice', 'u-bob');
    // The earliest "x" keeps the message identity; the later one keeps its client id on the wire.
    expect(
      rowsOf(path, 'SELECT conversation_id, seq, sender_id, client_id, message_id, text, sent_at FROM events ORDER BY seq'),
    ).toEqual([
      { conversation_id: c1, seq: 1, sender_id: 'u-alice', client_id: 'x', message_id: 'x', text: 'first', sent_at: 100 },
      { conversation_id: c1, seq: 2, sender_id: 'u-bob', client_id: 'x', message_id: null, text: 'same id', sent_at: 200 },
      { conversation_id: c1, seq: 3, sender_id: 'u-alice', client_id: 'y', message_id: 'y', text: 'third', sent_at: 300 },
    ]);
    expect(await purge(dataDir)).toEqual({ settings: 0, events: 3, groupNames: 0 });

    const server = await h.startServer({ dataDir });
    const alice = await h.connect(server, ALICE_TOKEN);
    const bob = await h.connect(server, BOB_TOKEN);
    expect(alice.user).toEqual({ id: 'u-alice', username: 'alice', displayName: 'Alice' });
    expect(await bob.call({ type: 'catch_up', conversationId: 'c1', afterSeq: 0 }, 'error')).toMatchObject(
      REFUSALS.conversation_not_found,
    );
    const [conversation] = (await alice.call({ type: 'list_conversations' }, 'conversations')).conversations;
    expect(conversation).toMatchObject({ id: c1, kind: 'direct', name: null, lastSeq: 0, createdAt: 10, isMember: true });
    expect(conversation!.members.map((m) => [m.id, m.role, m.deliveredSeq, m.readSeq])).toEqual([
      ['u-alice', 'member', 3, 3],
      ['u-bob', 'member', 2, 1],
    ]);
    // Starting it again (online by username, or offline by the derived id) finds this one.
    const again = await bob.call(
      { type: 'create_conversation', conversationId: c1, conversation: { kind: 'direct', userId: 'u-alice' } },
      'conversation',
    );
    expect(again.conversation).toMatchObject({ id: c1 });
    // Numbering continues past what was purged; the catch-up skips the gap.
    expect(await alice.send(c1, 'z', 'after the upgrade')).toMatchObject({ seq: 4 });
    expect(envelopesIn(await bob.allEvents(c1)).map((event) => [event.seq, testOpened(event)])).toEqual([
      [4, 'after the upgrade'],
    ]);
    // Presence has a place to go now: never seen until a last connection closes.
    expect(await bob.waitForPush('presence')).toMatchObject({ userId: 'u-alice', online: true, lastSeenAt: null });

    await server.close();
    expect(userVersion(path)).toBe(serverMigrations.length);
  });

  it('upgrades a version 3 database to 4: its messages carry no attachments, and new envelopes can', async () => {
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

    expect(rowsOf(path, 'SELECT seq, kind, text, payload FROM events')).toEqual([
      { seq: 1, kind: 'message', text: 'from before attachments', payload: null },
    ]);
    expect(await purge(dataDir)).toEqual({ settings: 0, events: 1, groupNames: 0 });
    const server = await h.startServer({ dataDir });
    const alice = await h.connect(server, ALICE_TOKEN);
    const file = await testFile(dataDir, 100, 'upgrade.bin');
    const id = await uploadFile(server.httpUrl, ALICE_TOKEN, file);
    expect(await sendAttachments(alice, c1, 'new', [id])).toMatchObject({ seq: 2, attachments: [id] });
    expect((await download(server.httpUrl, id, bearer(BOB_TOKEN))).bytes.equals(file.bytes)).toBe(true);
    await server.close();
    expect(userVersion(path)).toBe(serverMigrations.length);
  });

  it('upgrades a version 4 database to 5: nothing stored before is hidden from anyone, and settings and blocks work on it', async () => {
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

    expect(rowsOf(path, 'SELECT seq, hidden_from FROM events ORDER BY seq')).toEqual([
      { seq: 1, hidden_from: null },
      { seq: 2, hidden_from: null },
    ]);
    expect(await purge(dataDir)).toEqual({ settings: 0, events: 2, groupNames: 0 });
    const server = await h.startServer({ dataDir });
    const alice = await h.connect(server, ALICE_TOKEN);
    const bob = await h.connect(server, BOB_TOKEN);
    // Settings start at version 1 for every user.
    const muted = await alice.call(
      { type: 'set_settings', settings: [{ setting: sealedSetting(`muted ${c1}`, 'true'), at: 5, by: 'd1' }] },
      'settings',
    );
    expect(muted.settings).toEqual([{ setting: sealedSetting(`muted ${c1}`, 'true'), at: 5, by: 'd1', version: 1 }]);
    expect(await bob.send(c1, 'before-block', 'for alice')).toMatchObject({ seq: 3 });
    await alice.call(
      { type: 'set_settings', settings: [{ setting: { kind: 'blocked', userId: 'u-bob', value: true }, at: 6, by: 'd1' }] },
      'settings',
    );
    expect(await bob.send(c1, 'after-block', 'not for alice')).toMatchObject({ seq: 4 });
    expect((await alice.allEvents(c1)).map((e) => e.seq)).toEqual([3]);
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
