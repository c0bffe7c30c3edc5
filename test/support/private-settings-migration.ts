import { expect } from 'vitest';
import { MIRROR_MIGRATIONS } from '../../sync/client/mirror/migrations.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../sync/node/sqlite.js';

/**
 * For the mirror migrations that make this device's private settings (archive, mute, drafts) due
 * again, each time the server's copy of them changed form (sealed, then signed): a mirror at
 * `version - 1` with those confirmed and settings the server reads, migrated; the private ones are
 * due again, as they were, and the others are left as they were.
 */
export function expectPrivateSettingsDueAgain(path: string, version: number): void {
  const before = openDatabase(path, MIRROR_MIGRATIONS.slice(0, version - 1));
  const insert = before.prepare(
    `INSERT INTO settings (key, kind, conversation_id, user_id, value, at, by, version, pending, send_error)
     VALUES (?, ?, ?, ?, ?, ?, 'laptop', ?, 0, ?)`,
  );
  insert.run('draft:c1', 'draft', 'c1', null, '{"text":"half a thought","replyTo":null}', 10, 3, null);
  insert.run('muted:c1', 'muted', 'c1', null, 'true', 11, 4, null);
  insert.run('archived:c2', 'archived', 'c2', null, '{"on":true,"seq":7}', 12, 5, 'unconfirmed');
  insert.run('blocked:ann', 'blocked', null, 'ann', 'true', 13, 6, null);
  insert.run('show_online', 'show_online', null, null, '"nobody"', 14, 7, null);
  before.close();
  const migrated = openDatabase(path, MIRROR_MIGRATIONS.slice(0, version));
  // This migration alone did it (the later ones run when the mirror opens below).
  expect(migrated.prepare('SELECT key, send_error FROM settings WHERE pending = 1 ORDER BY at').all()).toEqual([
    { key: 'draft:c1', send_error: null },
    { key: 'muted:c1', send_error: null },
    { key: 'archived:c2', send_error: null },
  ]);
  migrated.close();

  const mirror = Mirror.open(path);
  const due = mirror.settings.pendingBatch(10, 100_000, (register) => ({
    setting: { kind: 'sealed', key: 'k'.repeat(43), value: Buffer.from(register.setting.kind).toString('base64') },
    at: register.at,
    by: register.by,
  }));
  expect(due.personal.map((register) => [register.setting.kind, register.at])).toEqual([
    ['draft', 10],
    ['muted', 11],
    ['archived', 12],
  ]);
  // The values are as they were; only going again is new.
  expect(mirror.settings.draft('c1')).toEqual({ text: 'half a thought', replyTo: null });
  expect(mirror.settings.register({ kind: 'blocked', userId: 'ann' })).toMatchObject({ version: 6, pending: false });
  expect(mirror.settings.showOnline()).toBe('nobody');
  mirror.close();
}
