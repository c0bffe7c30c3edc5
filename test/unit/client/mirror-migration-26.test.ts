import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-26-');
afterEach(() => paths.cleanup());

describe('mirror migration 26', () => {
  it('retires every sender key held per person, so the next seal hands a new one to each device; holders and devices are kept per device', () => {
    const path = paths.path();
    const v25 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 25));
    v25.exec(`
      INSERT INTO signal_sender_keys (address, distribution_id, record) VALUES ('ann.1', 'd1', x'01');
      INSERT INTO sender_key_epochs (conversation_id, distribution_id, started_at) VALUES ('c1', 'd1', 5);
      INSERT INTO sender_key_holders (distribution_id, user_id) VALUES ('d1', 'ann'), ('d1', 'ben');
    `);
    v25.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 26)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(26);
    // The chain stays (envelopes sealed under it before are opened elsewhere); this device writes under it no more.
    expect(db.prepare('SELECT count(*) FROM signal_sender_keys').pluck().get()).toBe(1);
    expect(db.prepare('SELECT count(*) FROM sender_key_epochs').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM sender_key_holders').pluck().get()).toBe(0);
    db.close();

    const mirror = Mirror.open(path);
    expect(mirror.signal.senderKeyOf('c1')).toBeNull();
    const ben1 = { userId: 'ben', deviceNumber: 1, registrationId: 7 };
    mirror.transaction(() => {
      mirror.signal.startSenderKey('c1', 'd2', 6);
      mirror.signal.addSenderKeyHolders('d2', [ben1, { userId: 'ann', deviceNumber: 2, registrationId: 8 }]);
      // A new device that took number 1 replaces the one before.
      mirror.signal.addSenderKeyHolders('d2', [{ ...ben1, registrationId: 9 }]);
    });
    expect(mirror.signal.senderKeyHolders('d2')).toEqual([
      { userId: 'ann', deviceNumber: 2, registrationId: 8 },
      { userId: 'ben', deviceNumber: 1, registrationId: 9 },
    ]);

    // The devices the server said are kept as said, and read back through the protocol's schema.
    expect(mirror.signal.conversationDevices('c1')).toBeNull();
    const devices = { version: 3, members: [{ userId: 'ben', devices: [{ deviceNumber: 1, registrationId: 9 }] }] };
    mirror.transaction(() => mirror.signal.setConversationDevices('c1', devices));
    expect(mirror.signal.conversationDevices('c1')).toEqual(devices);
    mirror.close();

    // What does not read back is taken as never said: the next send asks again.
    const raw = new Database(path);
    raw.prepare(`UPDATE conversation_devices SET devices = '{"version":0}'`).run();
    raw.close();
    const reopened = Mirror.open(path);
    expect(reopened.signal.conversationDevices('c1')).toBeNull();
    reopened.close();
  });
});
