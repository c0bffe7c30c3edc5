import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('mirror migration 18', () => {
  it("keeps every row, and adds the Signal Protocol's tables empty, with no registration yet", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirror-18-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v17 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 17));
    v17.exec(`INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES ('c1', 'direct', 1, 1)`);
    v17.close();

    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 18)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(18);
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'signal_%' ORDER BY name`)
      .pluck()
      .all();
    expect(tables).toEqual([
      'signal_device',
      'signal_identities',
      'signal_kyber_prekeys',
      'signal_kyber_uses',
      'signal_prekeys',
      'signal_sender_keys',
      'signal_sessions',
      'signal_signed_prekeys',
    ]);
    db.close();

    const mirror = Mirror.open(path);
    expect(mirror.views.conversationSummaries('me', undefined, 'main').map((c) => c.id)).toEqual(['c1']);
    expect(mirror.signal.registrationId()).toBeNull();
    expect(mirror.signal.oneTimeCounts()).toEqual({ prekeys: 0, kyber: 0 });
    expect(() => mirror.signal.takeIds('prekey', 1)).toThrow(/not set up/);
    expect(mirror.transaction(() => mirror.signal.ensureRegistrationId(42))).toBe(42);
    // The first registration id stays: a second device setup never changes it.
    expect(mirror.transaction(() => mirror.signal.ensureRegistrationId(7))).toBe(42);
    mirror.close();
  });
});
