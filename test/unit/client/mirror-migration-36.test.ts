import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-36-');
afterEach(() => paths.cleanup());

describe('mirror migration 36', () => {
  it('adds an empty table of installed sticker packs, one row per pack, and keeps what was there', () => {
    const path = paths.path();
    const v35 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 35));
    v35.exec(`INSERT INTO conversations (id, kind, created_at, last_activity_at, is_member) VALUES ('d', 'direct', 1, 1, 1);`);
    v35.close();

    const v36 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 36));
    expect(v36.pragma('user_version', { simple: true })).toBe(36);
    expect(v36.prepare('SELECT id FROM conversations').all()).toEqual([{ id: 'd' }]);
    expect(v36.prepare('SELECT COUNT(*) AS n FROM sticker_packs').get()).toEqual({ n: 0 });
    v36.prepare("INSERT INTO sticker_packs (pack_id, value, installed_at) VALUES ('p', '{}', 1)").run();
    expect(() => v36.prepare("INSERT INTO sticker_packs (pack_id, value, installed_at) VALUES ('p', '{}', 2)").run()).toThrow(
      /UNIQUE/,
    );
    v36.close();
  });
});
