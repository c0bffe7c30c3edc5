import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { openDatabase } from '../../../sync/node/sqlite.js';
import { PlaintextHeldError } from '../../../sync/server/plaintext.js';
import { runPurgePlaintext } from '../../../sync/server/purge-plaintext-cli.js';
import { hashSessionToken } from '../../../sync/server/session-tokens.js';
import { openPostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { openSqliteServerStore, SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { startSyncServer } from '../../../sync/server/sync-server.js';
import { CHEAP_PASSWORD_COST, createServerHarness, visibleLog } from '../../support/server-harness.js';
import { appendTestEnvelope } from '../../support/store-envelopes.js';
import {
  postgresMigratedThrough,
  postgresSeededBefore,
  sqliteMigratedThrough,
  sqliteSeededBefore,
} from '../../support/store-migrations.js';

/**
 * What a server upgraded from before end-to-end encryption holds of its conversations in the clear:
 * messages, edits, deletes, reactions, pins and renames in the logs, and group names. The migration
 * that lets a group be without a name (SQLite version 17, PostgreSQL version 14) keeps all of it,
 * indexed; the server refuses to start while it is held; purge-plaintext deletes it in one
 * transaction, leaving gaps in the logs that catch-up serves across, page by page.
 */

const SECRETS = ['secret one', 'secret edited', 'secret two', 'hello group', 'Secret Trip', 'Secreter Trip'];
const ANN = { id: 'ann', username: 'ann', displayName: 'Ann', role: 'owner' };
const BEN = { id: 'ben', username: 'ben', displayName: 'Ben', role: 'member' };
const CAT = { id: 'cat', username: 'cat', displayName: 'Cat', role: 'member' };
const BEN_TOKEN = 'b'.repeat(64);

/**
 * The same rows in both stores, as a server from before left them (SQL both understand): Ann and
 * Ben's direct conversation d (six events: messages, an edit, a reaction, a file, between two
 * envelopes), Ann's group g named "Secret Trip" with Ben and Cat (a message hidden from Cat, a
 * rename, a pin, an envelope), a group h whose name was never told (''), a draft set aside.
 */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES
     ('ann', 'ann', 'Ann', 'x', 1), ('ben', 'ben', 'Ben', 'x', 1), ('cat', 'cat', 'Cat', 'x', 1)`,
  `INSERT INTO conversations (id, kind, pair_key, name, created_by, last_seq, next_join_order, created_at) VALUES
     ('d', 'direct', 'ann ben', NULL, 'ann', 6, 2, 1), ('g', 'group', NULL, 'Secret Trip', 'ann', 5, 3, 1),
     ('h', 'group', NULL, '', 'ann', 1, 1, 1)`,
  `INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq) VALUES
     ('d', 'ann', 'member', 0, 6, 6), ('d', 'ben', 'member', 1, 6, 6), ('g', 'ann', 'owner', 0, 5, 5),
     ('g', 'ben', 'member', 1, 5, 5), ('g', 'cat', 'member', 2, 5, 5), ('h', 'ann', 'owner', 0, 1, 1)`,
  `INSERT INTO member_periods (conversation_id, user_id, from_seq, to_seq) VALUES
     ('d', 'ann', 1, NULL), ('d', 'ben', 1, NULL), ('g', 'ann', 1, NULL), ('g', 'ben', 1, NULL), ('g', 'cat', 1, NULL),
     ('h', 'ann', 1, NULL)`,
  `INSERT INTO events (conversation_id, seq, kind, sender_id, client_id, message_id, text, sent_at, reply_to, deleted,
                       emoji, reaction_on, payload, hidden_from, sender_device, ciphertext) VALUES
     ('d', 1, 'message', 'ann', 'm1', 'm1', 'secret one', 10, NULL, FALSE, NULL, NULL, NULL, NULL, NULL, NULL),
     ('d', 2, 'envelope', 'ann', 'e1', 'e1', '', 11, NULL, FALSE, NULL, NULL, NULL, NULL, 1, 'c2VhbGVkIG9uZQ=='),
     ('d', 3, 'edit', 'ann', 'm1-edit', 'm1', 'secret edited', 12, NULL, FALSE, NULL, NULL, NULL, NULL, NULL, NULL),
     ('d', 4, 'reaction', 'ben', 'm1-like', 'm1', '', 13, NULL, FALSE, '👍', TRUE, NULL, NULL, NULL, NULL),
     ('d', 5, 'envelope', 'ben', 'e2', 'e2', '', 14, NULL, FALSE, NULL, NULL, NULL, NULL, 1, 'c2VhbGVkIHR3bw=='),
     ('d', 6, 'message', 'ben', 'm2', 'm2', 'secret two', 15, 'm1', FALSE, NULL, NULL,
      '{"attachments":[{"id":"up1","sha256":"${'a'.repeat(64)}","size":5,"name":"a.txt","mime":"text/plain","kind":"file"}]}',
      NULL, NULL, NULL),
     ('g', 1, 'group_created', 'ann', 'g', NULL, '', 20, NULL, FALSE, NULL, NULL,
      '{"name":"Secret Trip","members":${JSON.stringify([ANN, BEN, CAT])}}', NULL, NULL, NULL),
     ('g', 2, 'message', 'ann', 'g-m1', 'g-m1', 'hello group', 21, NULL, FALSE, NULL, NULL, NULL, NULL, NULL, NULL),
     ('g', 3, 'group_renamed', 'ann', 'g-r1', NULL, '', 22, NULL, FALSE, NULL, NULL, '{"name":"Secreter Trip"}', NULL, NULL, NULL),
     ('g', 4, 'pin', 'ann', 'g-p1', 'g-m1', '', 23, NULL, FALSE, NULL, NULL, '{"on":true}', NULL, NULL, NULL),
     ('g', 5, 'envelope', 'cat', 'g-e1', 'g-e1', '', 24, NULL, FALSE, NULL, NULL, NULL, NULL, 1, 'c2VhbGVkIHRocmVl'),
     ('h', 1, 'group_created', 'ann', 'h', NULL, '', 30, NULL, FALSE, NULL, NULL,
      '{"name":null,"members":${JSON.stringify([ANN])}}', NULL, NULL, NULL)`,
  `INSERT INTO reactions (conversation_id, message_id, user_id, emoji) VALUES ('d', 'm1', 'ben', '👍')`,
  `INSERT INTO hidden_events (conversation_id, seq, user_id) VALUES ('g', 2, 'cat')`,
  `INSERT INTO uploads (id, owner_id, sha256, size, created_at, completed_at) VALUES ('up1', 'ben', '${'a'.repeat(64)}', 5, 1, 2)`,
  `INSERT INTO attachment_refs (upload_id, conversation_id, seq) VALUES ('up1', 'd', 6)`,
  `INSERT INTO plaintext_settings (user_id, key, setting, at, by, version) VALUES
     ('ann', 'draft:d', '{"kind":"draft","conversationId":"d","value":{"text":"secret plan","replyTo":null}}', 5, 'laptop', 1)`,
];

/** Everything the seed holds in the clear, as plaintextHeld counts it. */
const HELD = { settings: 1, events: 7, groupNames: 1 };
const NOTHING_HELD = { settings: 0, events: 0, groupNames: 0 };

const NAMES = `SELECT id, name FROM conversations ORDER BY id`;
const LOG = `SELECT conversation_id, seq, kind FROM events ORDER BY conversation_id, seq`;
const INDEXES = `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname`;

/** Each log as (conversation, seq, kind), numbers as numbers. */
const logOf = (rows: Array<Record<string, unknown>>) => rows.map((row) => [row.conversation_id, Number(row.seq), row.kind]);
const FULL_LOG = [
  ['d', 1, 'message'],
  ['d', 2, 'envelope'],
  ['d', 3, 'edit'],
  ['d', 4, 'reaction'],
  ['d', 5, 'envelope'],
  ['d', 6, 'message'],
  ['g', 1, 'group_created'],
  ['g', 2, 'message'],
  ['g', 3, 'group_renamed'],
  ['g', 4, 'pin'],
  ['g', 5, 'envelope'],
  ['h', 1, 'group_created'],
];

const h = createServerHarness();
afterEach(async () => {
  await h.cleanup();
  vi.restoreAllMocks();
});

describe('plaintext history migration', () => {
  it('SQLite version 17: everything held stays, indexed; a group need not have a name, and one never told has none', () => {
    const db = sqliteMigratedThrough(17, SEED);
    expect(logOf(db.prepare(LOG).all() as Array<Record<string, unknown>>)).toEqual(FULL_LOG);
    expect(db.prepare(NAMES).all()).toEqual([
      { id: 'd', name: null },
      { id: 'g', name: 'Secret Trip' },
      { id: 'h', name: null },
    ]);
    expect(db.prepare('SELECT count(*) AS n FROM reactions').get()).toEqual({ n: 1 });
    const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name`).all();
    expect(indexes.map((row) => (row as { name: string }).name)).toEqual([
      'events_by_message',
      'events_expiring_read_due',
      'events_expiring_stored_due',
      'events_expiring_unread',
      'events_kept_in_clear',
      'sqlite_autoindex_events_2',
    ]);
    // The rebuilt conversations keep their checks, and the counts the triggers keep still move.
    db.exec(`INSERT INTO conversations (id, kind, pair_key, created_by, created_at) VALUES ('n', 'group', NULL, 'ann', 2)`);
    expect(() => db.exec(`UPDATE conversations SET name = 'x' WHERE id = 'd'`)).toThrow(/CHECK constraint failed/);
    db.exec(`INSERT INTO members (conversation_id, user_id, role, join_order) VALUES ('n', 'ben', 'owner', 0)`);
    expect(db.prepare(`SELECT member_count, devices_version FROM conversations WHERE id = 'n'`).get()).toEqual({
      member_count: 1,
      devices_version: 2,
    });
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('PostgreSQL version 14 does the same', async () => {
    const client = await postgresMigratedThrough(14, SEED);
    expect(logOf((await client.query<Record<string, unknown>>(LOG)).rows)).toEqual(FULL_LOG);
    expect((await client.query(NAMES)).rows).toEqual([
      { id: 'd', name: null },
      { id: 'g', name: 'Secret Trip' },
      { id: 'h', name: null },
    ]);
    expect((await client.query(INDEXES)).rows.map((row: { name: string }) => row.name)).toEqual([
      'events_by_message',
      'events_expiring_read_due',
      'events_expiring_stored_due',
      'events_expiring_unread',
      'events_kept_in_clear',
      'events_pkey',
      'events_sender_id_client_id_key',
    ]);
    await client.query(
      `INSERT INTO conversations (id, kind, pair_key, created_by, created_at) VALUES ('n', 'group', NULL, 'ann', 2)`,
    );
    await expect(client.query(`UPDATE conversations SET name = 'x' WHERE id = 'd'`)).rejects.toThrow(
      /conversations_name_only_for_groups/,
    );
  });
});

describe.each([
  {
    name: 'SQLite',
    open: async (seed: string[]) => openSqliteServerStore(sqliteSeededBefore(17, seed)),
    refusePurge: `CREATE TRIGGER refuse_purge BEFORE DELETE ON plaintext_settings BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  },
  {
    name: 'PostgreSQL',
    open: async (seed: string[]) => openPostgresServerStore(await postgresSeededBefore(14, seed)),
    refusePurge: `CREATE FUNCTION refuse_purge() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                  CREATE TRIGGER refuse_purge BEFORE DELETE ON plaintext_settings FOR EACH ROW EXECUTE FUNCTION refuse_purge()`,
  },
])('purging plaintext history ($name store)', ({ open, refusePurge }) => {
  async function opened(seed = SEED): Promise<ServerStore> {
    const store = await open(seed);
    // Registered after its database's removal, so it runs first.
    onTestFinished(() => store.close());
    return store;
  }

  it('counts what is held, deletes it all in one go, and serves the rest of each log across the gaps left', async () => {
    const store = await opened();
    expect(await store.plaintextHeld()).toEqual(HELD);
    expect(await store.purgePlaintext()).toEqual(HELD);
    expect(await store.plaintextHeld()).toEqual(NOTHING_HELD);
    expect(await store.purgePlaintext()).toEqual(NOTHING_HELD);

    // Ben's pages of d: each ends before a gap, the next skips it.
    const page = (conversationId: string, userId: string, afterSeq: number) =>
      store.readEvents({ conversationId, userId, afterSeq, limit: 50 });
    expect(await page('d', 'ben', 0)).toMatchObject({ events: [{ seq: 2, clientId: 'e1' }], hasMore: true, skippedTo: 1 });
    expect(await page('d', 'ben', 2)).toMatchObject({ events: [{ seq: 5, clientId: 'e2' }], hasMore: false, skippedTo: 4 });
    const group = await page('g', 'cat', 0);
    expect(group).toMatchObject({ events: [{ seq: 1, kind: 'group_created', name: null }], hasMore: true });
    expect(group?.skippedTo).toBeUndefined();
    expect(await page('g', 'cat', 1)).toMatchObject({ events: [{ seq: 5, clientId: 'g-e1' }], hasMore: false, skippedTo: 4 });
    expect(await store.readEventsAt([{ conversationId: 'd', userId: 'ben', seq: 3 }])).toEqual([null]);
    // No name is served, nor kept; a number is never handed out again; the message's file is no one's now.
    expect((await store.getConversationForMember('g', 'ben'))?.name).toBeNull();
    expect(await appendTestEnvelope(store, { conversationId: 'd', senderId: 'ann', clientId: 'e3' })).toMatchObject({
      status: 'stored',
      event: { seq: 7 },
    });
    expect(await store.listExpiredUploads(Number.MAX_SAFE_INTEGER)).toEqual(['up1']);
  });

  it('deletes nothing when any part of the purge fails', async () => {
    // The settings go last: refused there, the events and names deleted before must come back.
    const store = await opened([...SEED, refusePurge]);
    await expect(store.purgePlaintext()).rejects.toThrow(/refused by the test/);
    expect(await store.plaintextHeld()).toEqual(HELD);
    // And what is held is never served: reading it fails, naming it.
    await expect(store.readEvents({ conversationId: 'd', userId: 'ben', afterSeq: 0, limit: 1 })).rejects.toThrow(
      'Event d#1 is a message kept in the clear from before end-to-end encryption, which this server does not serve',
    );
  });
});

describe('a server holding plaintext history', () => {
  /** A SQLite server's data folder from before version 17 with the seed, and a session for Ben. */
  function dataDir(): string {
    return sqliteSeededBefore(17, [
      ...SEED,
      `INSERT INTO sessions (token_hash, id, user_id, device_number, device_name, created_at, last_used_at)
       VALUES ('${hashSessionToken(BEN_TOKEN)}', 's-ben', 'ben', 1, NULL, ${Date.now()}, ${Date.now()})`,
    ]);
  }

  it('refuses to start, naming what it holds, until purge-plaintext deleted it; then serves the rest of the logs page by page', async () => {
    const dir = dataDir();
    const refused = startSyncServer({ port: 0, dataDir: dir, passwordCost: CHEAP_PASSWORD_COST });
    await expect(refused).rejects.toBeInstanceOf(PlaintextHeldError);
    await expect(refused).rejects.toThrow(
      'This server holds 7 messages, edits, deletes, reactions, pins or renames, 1 group name and 1 personal settings ' +
        '(archive, mute, drafts) kept in the clear from before end-to-end encryption.',
    );

    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runPurgePlaintext(['--data', dir])).toBe(0);
    expect(printed).toHaveBeenCalledWith(
      `Deleted 7 messages, edits, deletes, reactions, pins or renames, 1 group name and 1 personal settings ` +
        `(archive, mute, drafts) kept in the clear from ${dir}.`,
    );
    // Nothing of it is left in the database's file either.
    const db = openDatabase(join(dir, SERVER_DATABASE_FILE), serverMigrations);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const file = readFileSync(join(dir, SERVER_DATABASE_FILE));
    for (const secret of SECRETS) expect(file.includes(secret), secret).toBe(false);

    const server = await h.startServer({ dataDir: dir });
    const ben = await h.connect(server, BEN_TOKEN);
    const { conversations } = await ben.call({ type: 'list_conversations' }, 'conversations');
    expect(conversations.map((conversation) => [conversation.id, conversation.name, conversation.lastSeq])).toEqual([
      ['d', null, 5],
      ['g', null, 5],
    ]);
    // Pages as large as the server serves: each ends before a gap, and the next skips it.
    const direct = await visibleLog(ben, 'd');
    expect(direct.pages).toEqual([
      { afterSeq: 0, seqs: [2], skippedTo: 1, hasMore: true },
      { afterSeq: 2, seqs: [5], skippedTo: 4, hasMore: false },
    ]);
    const group = await visibleLog(ben, 'g');
    expect(group.pages).toEqual([
      { afterSeq: 0, seqs: [1], skippedTo: undefined, hasMore: true },
      { afterSeq: 1, seqs: [5], skippedTo: 4, hasMore: false },
    ]);
  });
});
