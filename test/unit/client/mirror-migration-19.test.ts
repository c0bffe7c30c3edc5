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

function mirrorAt18(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-19-'));
  dirs.push(dir);
  const path = join(dir, 'mirror.sqlite');
  const v18 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 18));
  v18.exec(`INSERT INTO signal_sessions (address, record) VALUES ('bob.1', x'01'), ('bob.12', x'02'), ('bobby.3', x'03')`);
  v18.close();
  return path;
}

const envelope = { userId: 'bob', deviceNumber: 1, registrationId: 7, kind: 'whisper' as const, ciphertext: 'AAAA' };

describe('mirror migration 19', () => {
  it('keeps the sessions, and adds the device inbox tables empty', () => {
    const path = mirrorAt18();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 19)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(19);
    expect(db.prepare(`SELECT count(*) FROM signal_sessions`).pluck().get()).toBe(3);
    expect(db.prepare(`SELECT count(*) FROM signal_outgoing`).pluck().get()).toBe(0);
    expect(db.prepare(`SELECT count(*) FROM signal_inbox_done`).pluck().get()).toBe(0);
    db.close();

    const mirror = Mirror.open(path);
    // A person's devices are read from the sessions by address, not by a prefix another id shares.
    expect(mirror.signal.sessionDevicesOf('bob')).toEqual([1, 12]);
    mirror.close();
  });

  it('reads back what it stored of a send, and drops a row that does not read back whole, saying so', () => {
    const path = mirrorAt18();
    const mirror = Mirror.open(path);
    mirror.signal.putOutgoing({
      clientId: 'a',
      content: new Uint8Array([1, 2]),
      recipients: ['bob'],
      envelopes: [envelope],
      createdAt: 5,
      handOutFor: null,
    });
    mirror.signal.putOutgoing({
      clientId: 'b',
      content: new Uint8Array([3]),
      recipients: ['bob'],
      envelopes: [],
      createdAt: 6,
      handOutFor: null,
    });
    const db = new Database(path);
    db.prepare(`UPDATE signal_outgoing SET envelopes = '[{"userId":"bob"}]' WHERE client_id = 'b'`).run();
    db.close();
    const unreadable: string[] = [];
    const rows = mirror.signal.outgoing((clientId) => unreadable.push(clientId));
    expect(rows).toEqual([
      { clientId: 'a', content: Buffer.from([1, 2]), recipients: ['bob'], envelopes: [envelope], createdAt: 5, handOutFor: null },
    ]);
    expect(unreadable).toEqual(['b']);
    expect(mirror.signal.outgoing(() => undefined).map((row) => row.clientId)).toEqual(['a']);

    mirror.signal.markInboxDone('10', 100);
    mirror.signal.markInboxDone('11', 200);
    expect(mirror.signal.isInboxDone('10')).toBe(true);
    // Forgetting those the server deleted, and those done long ago.
    mirror.signal.forgetInboxDone(['11'], 150);
    expect([mirror.signal.isInboxDone('10'), mirror.signal.isInboxDone('11')]).toEqual([false, false]);
    mirror.close();
  });
});
