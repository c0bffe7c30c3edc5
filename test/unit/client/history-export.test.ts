/**
 * The history export (mirror/history-export.ts): what it carries and what it never does, and how
 * the new device's mirror takes it in.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Composer } from '../../../sync/client/composer.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import type { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { Conversation } from '../../../sync/protocol/frames.js';
import { DatabaseFromTheFutureError, openDatabase } from '../../../sync/node/sqlite.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { createTestMirrors } from '../../support/test-mirror.js';

const mirrors = createTestMirrors();
const dirs: string[] = [];
afterEach(() => {
  mirrors.cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function exportPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'history-export-'));
  dirs.push(dir);
  return join(dir, 'history.db');
}

const message = (seq: number, text: string, senderId = 'ann') => ({
  kind: 'message' as const,
  conversationId: 'c1',
  seq,
  senderId,
  clientMessageId: `m${seq}`,
  text,
  sentAt: 1_000 + seq,
  replyTo: null,
  deleted: false,
  attachments: [],
});

/** 'me' and Ann: 120 messages stored by the server, one of ours still in the outbox, and this device's crypto state. */
async function linkingMirror(): Promise<Mirror> {
  const mirror = mirrors.open();
  mirror.saveSession({
    serverUrl: 'https://example.test',
    token: 'secret-token',
    user: { id: 'me', username: 'me', displayName: 'Me' },
  });
  mirror.applyEvents(
    'c1',
    Array.from({ length: 120 }, (_, index) => message(index + 1, `hello ${index + 1}`)),
    'me',
  );
  new Composer(mirror, realRuntime(), 'me', () => false).send('c1', 'not sent yet', null);
  mirror.signal.putSession('ann.1', new Uint8Array([1, 2, 3]));
  mirror.signal.putSenderKey('me.1', 'dist-1', new Uint8Array([4]));
  mirror.signal.putSenderKey('me.2', 'dist-1', new Uint8Array([5]));
  mirror.signal.putSenderKey('ann.1', 'dist-2', new Uint8Array([6]));
  mirror.signal.startSenderKey('c1', 'dist-1', 1);
  await mirror.fileKeys.add('0'.repeat(32), randomBytes(32));
  return mirror;
}

/** The direct conversation with Ann, as the server lists it, with her watermarks at these seqs. */
const withAnnAt = (deliveredSeq: number, readSeq: number): Conversation => ({
  id: 'c1',
  kind: 'direct',
  name: null,
  members: [
    { id: 'me', username: 'me', displayName: 'Me', role: 'member', deliveredSeq: 0, readSeq: 0 },
    { id: 'ann', username: 'ann', displayName: 'Ann', role: 'member', deliveredSeq, readSeq },
  ],
  lastSeq: 120,
  createdAt: 1_000,
  isMember: true,
});

function rowsOf(path: string, key: Uint8Array, sql: string): unknown[] {
  const db = openDatabase(path, MIRROR_MIGRATIONS, { key });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

describe('the history export', () => {
  it('carries what was stored by the server, and never the outbox, own sender keys, ratchet state or local secrets', async () => {
    const mirror = await linkingMirror();
    expect(mirror.views.messagePage('c1', 'me', 5).messages.at(-1)).toMatchObject({ text: 'not sent yet', seq: null });
    const path = exportPath();
    const key = randomBytes(32);
    mirror.history.exportTo(path, key, { ownAddresses: ['me.1', 'me.2'] });

    const count = (table: string) => (rowsOf(path, key, `SELECT COUNT(*) AS n FROM ${table}`)[0] as { n: number }).n;
    expect(count('messages')).toBe(120);
    expect(rowsOf(path, key, "SELECT 1 FROM messages WHERE text = 'not sent yet'")).toEqual([]);
    expect(rowsOf(path, key, 'SELECT id, applied_seq FROM conversations')).toEqual([{ id: 'c1', applied_seq: 120 }]);
    for (const table of [
      'outbox',
      'signal_sessions',
      'sender_key_epochs',
      'sender_key_holders',
      'file_keys',
      'session',
      'signal_device',
    ]) {
      expect(count(table), table).toBe(0);
    }
    expect(rowsOf(path, key, 'SELECT address FROM signal_sender_keys')).toEqual([{ address: 'ann.1' }]);
    // Without its key the file does not open.
    expect(() => rowsOf(path, randomBytes(32), 'SELECT 1 FROM messages')).toThrow();
  });

  it('is taken in by the new device: the same pages, searchable, and the cursor where the export left it', async () => {
    const linking = await linkingMirror();
    const path = exportPath();
    const key = randomBytes(32);
    linking.history.exportTo(path, key, { ownAddresses: ['me.1', 'me.2'] });

    const linked = mirrors.open();
    // What this device caught up by itself before the hand-over is replaced by the export; what it
    // has not sent yet stays.
    linked.applyEvents('c1', [message(1, 'seen here first')], 'me');
    new Composer(linked, realRuntime(), 'me', () => false).send('c1', 'typed on the new device', null);
    expect(linked.history.importFrom(path, key, 'me')).toEqual({ conversations: 1, messages: 120 });

    const page = (mirror: Mirror) =>
      mirror.views.messagePage('c1', 'me', 50, { beforeSeq: 100 }).messages.map((m) => ({ id: m.id, seq: m.seq, text: m.text }));
    expect(page(linked)).toEqual(page(linking));
    const newest = linked.views.messagePage('c1', 'me', 2).messages.map((m) => m.text);
    expect(newest).toEqual(['hello 119', 'hello 120', 'typed on the new device']);
    expect(linked.views.messagePage('c1', 'me', 500).messages.some((m) => m.text === 'seen here first')).toBe(false);
    expect(linked.cursor('c1')).toMatchObject({ appliedSeq: 120 });
    expect(linked.search.search('hello', 'me', 500).length).toBeGreaterThan(0);
    expect(linked.signal.senderKey('ann.1', 'dist-2')).toEqual(Buffer.from([6]));
    expect(linked.signal.senderKey('me.1', 'dist-1')).toBeNull();
  });

  it("keeps the watermarks this device heard of that are newer than the export's: ticks never go back", async () => {
    const linking = await linkingMirror();
    linking.upsertConversation(withAnnAt(100, 90), 'me');
    const path = exportPath();
    const key = randomBytes(32);
    linking.history.exportTo(path, key, { ownAddresses: ['me.1', 'me.2'] });

    const linked = mirrors.open();
    linked.upsertConversation(withAnnAt(120, 60), 'me');
    linked.history.importFrom(path, key, 'me');
    expect(linked.ownWatermarks('c1', 'ann')).toEqual({ deliveredSeq: 120, readSeq: 90 });
  });

  it('shows the settings this device took in before the export came, not the exporting device’s older copy', async () => {
    const linking = await linkingMirror();
    linking.upsertConversation(withAnnAt(0, 0), 'me');
    const path = exportPath();
    const key = randomBytes(32);
    linking.history.exportTo(path, key, { ownAddresses: ['me.1', 'me.2'] });

    // Blocked and muted on the person's other device after the export was made: the registers came
    // here first, and the pull after linking finds them merged already.
    const linked = mirrors.open();
    linked.upsertConversation(withAnnAt(0, 0), 'me');
    linked.settings.merge([
      { setting: { kind: 'blocked', userId: 'ann', value: true }, at: 5, by: 'phone', version: 1 },
      { setting: { kind: 'muted', conversationId: 'c1', value: true }, at: 5, by: 'phone', version: 2 },
    ]);
    linked.history.importFrom(path, key, 'me');
    expect(linked.views.conversationSummaries('me')[0]).toMatchObject({ id: 'c1', blocked: true, muted: true });
  });

  it('refuses an export from a newer build', async () => {
    const mirror = await linkingMirror();
    const path = exportPath();
    const key = randomBytes(32);
    mirror.history.exportTo(path, key, { ownAddresses: [] });
    const db = openDatabase(path, MIRROR_MIGRATIONS, { key });
    db.pragma(`user_version = ${MIRROR_MIGRATIONS.length + 1}`);
    db.close();
    expect(() => mirrors.open().history.importFrom(path, key, 'me')).toThrow(DatabaseFromTheFutureError);
  });

  it('carries polls with their votes and end; a poll still in the outbox stays with its device', async () => {
    const linking = await linkingMirror();
    const poll = { ...message(121, 'Where to?'), poll: { options: ['Lake', 'Hills'], multiple: false } };
    const vote = (seq: number, senderId: string, choices: number[]) => ({
      kind: 'message_state' as const,
      conversationId: 'c1',
      seq,
      senderId,
      sentAt: 1_000 + seq,
      clientChangeId: `v${seq}`,
      messageId: 'm121',
      state: { kind: 'poll_vote' as const, messageId: 'm121', choices },
    });
    const end = { ...vote(124, 'ann', []), state: { kind: 'poll_end' as const, messageId: 'm121' } };
    linking.applyEvents('c1', [poll, vote(122, 'me', [1]), vote(123, 'ann', [0]), end], 'me');
    new Composer(linking, realRuntime(), 'me', () => false).sendPoll('c1', 'Unsent?', { options: ['Yes', 'No'], multiple: true });
    const shown = linking.views.messageView('c1', 'm121', 'me')?.poll;
    expect(shown).toMatchObject({ ended: true, people: 2, mine: [1] });

    const path = exportPath();
    const key = randomBytes(32);
    linking.history.exportTo(path, key, { ownAddresses: [] });
    // The unsent poll's options stay on this device with its message.
    expect(rowsOf(path, key, 'SELECT message_id, kind, holder_id FROM message_state ORDER BY kind, holder_id')).toEqual([
      { message_id: 'm121', kind: 'poll', holder_id: 'ann' },
      { message_id: 'm121', kind: 'poll_end', holder_id: 'ann' },
      { message_id: 'm121', kind: 'poll_vote', holder_id: 'ann' },
      { message_id: 'm121', kind: 'poll_vote', holder_id: 'me' },
    ]);

    const linked = mirrors.open();
    linked.history.importFrom(path, key, 'me');
    expect(linked.views.messageView('c1', 'm121', 'me')?.poll).toEqual(shown);
  });

  it('carries disappearing messages with their timers, the setting, and what went already, so a quote of it says so', async () => {
    const linking = await linkingMirror();
    const clock = { now: () => 2_000_000 };
    linking.disappearing.useClock(clock);
    const timer = { kind: 'disappearing_timer_set' as const, conversationId: 'c1', seq: 121, senderId: 'ann', sentAt: 1_121 };
    linking.applyEvents(
      'c1',
      [
        { ...timer, clientChangeId: 't121', timerMs: 30_000 },
        { ...message(122, 'gone soon'), expiresInMs: 30_000 },
        { ...message(123, 'went already'), senderId: 'me', expiresInMs: 30_000 },
        { ...message(124, 'a reply'), replyTo: 'm123' },
      ],
      'me',
    );
    linking.markReadLocally('c1', 'me', 122);
    linking.transaction(() => linking.disappearing.expireDue('me'));
    const path = exportPath();
    const key = randomBytes(32);
    linking.history.exportTo(path, key, { ownAddresses: [] });

    const linked = mirrors.open();
    linked.history.importFrom(path, key, 'me');
    expect(linked.views.messageView('c1', 'm122', 'me')).toMatchObject({ expiresInMs: 30_000, expiresAt: 2_030_000 });
    expect(linked.views.messageView('c1', 'm123', 'me')).toBeNull();
    expect(linked.views.messageView('c1', 'm124', 'me')?.replyTo).toMatchObject({ disappeared: true });
    expect(linked.disappearingSetting('c1').timerMs).toBe(30_000);
  });
});
