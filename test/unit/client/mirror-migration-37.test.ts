import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-37-');
afterEach(() => paths.cleanup());

describe('mirror migration 37', () => {
  it('adds an empty table of the live locations shared here, one row per message, and keeps what was there', () => {
    const path = paths.path();
    const v36 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 36));
    v36.exec(`INSERT INTO conversations (id, kind, created_at, last_activity_at, is_member) VALUES ('d', 'direct', 1, 1, 1);`);
    v36.close();

    const v37 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 37));
    expect(v37.pragma('user_version', { simple: true })).toBe(37);
    expect(v37.prepare('SELECT id FROM conversations').all()).toEqual([{ id: 'd' }]);
    expect(v37.prepare('SELECT COUNT(*) AS n FROM live_locations_here').get()).toEqual({ n: 0 });
    const insert = v37.prepare("INSERT INTO live_locations_here (conversation_id, message_id, until) VALUES ('d', 'm', ?)");
    insert.run(5);
    expect(() => insert.run(6)).toThrow(/UNIQUE/);
    v37.close();
  });
});
