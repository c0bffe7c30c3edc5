import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-30-');
afterEach(() => paths.cleanup());

describe('mirror migration 30', () => {
  it('makes the confirmed archive, mute and drafts due again (to go signed), and leaves the settings the server reads as they were', () => {
    const path = paths.path();
    const v29 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 29));
    const insert = v29.prepare(
      `INSERT INTO settings (key, kind, conversation_id, user_id, value, at, by, version, pending, send_error)
       VALUES (?, ?, ?, ?, ?, ?, 'laptop', ?, 0, NULL)`,
    );
    insert.run('draft:c1', 'draft', 'c1', null, '{"text":"half a thought","replyTo":null}', 10, 3);
    insert.run('muted:c1', 'muted', 'c1', null, 'true', 11, 4);
    insert.run('archived:c2', 'archived', 'c2', null, '{"on":true,"seq":7}', 12, 5);
    insert.run('blocked:ann', 'blocked', null, 'ann', 'true', 13, 6);
    v29.close();

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
    expect(mirror.settings.draft('c1')).toEqual({ text: 'half a thought', replyTo: null });
    expect(mirror.settings.register({ kind: 'blocked', userId: 'ann' })).toMatchObject({ version: 6, pending: false });
    mirror.close();
  });
});
