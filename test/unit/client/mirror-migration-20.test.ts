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

describe('mirror migration 20', () => {
  it("keeps the sender key chains, and adds this device's sender keys per conversation and their holders, empty", () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirror-20-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v19 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 19));
    v19.exec(`INSERT INTO signal_sender_keys (address, distribution_id, record) VALUES ('ann.1', 'd1', x'01')`);
    v19.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 20)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(20);
    expect(db.prepare('SELECT count(*) FROM signal_sender_keys').pluck().get()).toBe(1);
    expect(db.prepare('SELECT count(*) FROM sender_key_epochs').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM sender_key_holders').pluck().get()).toBe(0);
    db.close();

    const mirror = Mirror.open(path);
    expect(mirror.signal.senderKeyOf('c1')).toBeNull();
    mirror.transaction(() => {
      mirror.signal.startSenderKey('c1', 'd2', 5);
      mirror.signal.addSenderKeyHolders('d2', [
        { userId: 'ben', deviceNumber: 1, registrationId: 7 },
        { userId: 'ann', deviceNumber: 2, registrationId: 8 },
      ]);
    });
    // A new key takes the old one's place; holders are per key.
    mirror.transaction(() => mirror.signal.startSenderKey('c1', 'd3', 6));
    expect(mirror.signal.senderKeyOf('c1')).toBe('d3');
    expect(mirror.signal.senderKeyHolders('d2').map((holder) => holder.userId)).toEqual(['ann', 'ben']);
    expect(mirror.signal.senderKeyHolders('d3')).toEqual([]);
    mirror.close();
  });
});
