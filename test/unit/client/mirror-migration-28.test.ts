import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-28-');
afterEach(() => paths.cleanup());

describe('mirror migration 28', () => {
  it('keeps the device sends queued before it as no hand-out, and tells which conversations wait for one', () => {
    const path = paths.path();
    const v27 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 27));
    v27.exec(
      `INSERT INTO signal_outgoing (client_id, content, recipients, envelopes, created_at) VALUES ('old', x'01', '["bob"]', '[]', 5)`,
    );
    v27.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 28)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(28);
    expect(db.prepare('SELECT client_id, hand_out_for FROM signal_outgoing').all()).toEqual([
      { client_id: 'old', hand_out_for: null },
    ]);
    db.close();

    const mirror = Mirror.open(path);
    const handOut = { content: new Uint8Array([2]), recipients: ['bob'], envelopes: [], createdAt: 6 };
    mirror.signal.putOutgoing({ ...handOut, clientId: 'key', handOutFor: 'c1' });
    expect(mirror.signal.outgoing(() => undefined).map((row) => [row.clientId, row.handOutFor])).toEqual([
      ['old', null],
      ['key', 'c1'],
    ]);
    expect(mirror.signal.handOutPending('c1')).toBe(true);
    expect(mirror.signal.handOutPending('c2')).toBe(false);
    mirror.signal.removeOutgoing('key');
    expect(mirror.signal.handOutPending('c1')).toBe(false);
    mirror.close();
  });
});
