import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-29-');
afterEach(() => paths.cleanup());

describe('mirror migration 29', () => {
  it('makes the confirmed archive, mute and drafts due again (to go sealed), and leaves the settings the server reads as they were', () => {
    const path = paths.path();
    const v28 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 28));
    const insert = v28.prepare(
      `INSERT INTO settings (key, kind, conversation_id, user_id, value, at, by, version, pending, send_error)
       VALUES (?, ?, ?, ?, ?, ?, 'laptop', ?, 0, ?)`,
    );
    insert.run('draft:c1', 'draft', 'c1', null, '{"text":"half a thought","replyTo":null}', 10, 3, null);
    insert.run('muted:c1', 'muted', 'c1', null, 'true', 11, 4, null);
    insert.run('archived:c2', 'archived', 'c2', null, '{"on":true,"seq":7}', 12, 5, 'unconfirmed');
    insert.run('blocked:ann', 'blocked', null, 'ann', 'true', 13, 6, null);
    insert.run('show_online', 'show_online', null, null, '"nobody"', 14, 7, null);
    v28.close();

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
  });
});
