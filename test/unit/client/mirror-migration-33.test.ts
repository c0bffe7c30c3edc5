import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-33-');
afterEach(() => paths.cleanup());

const CALL = { kind: 'call', callId: 'a'.repeat(32), media: 'audio', outcome: 'no_answer', durationMs: null } as const;

describe('mirror migration 33', () => {
  it('keeps the queue (ids, order, sealed envelopes, indexes), takes a call’s entry, and fails a kind it does not know by name', () => {
    const path = paths.path();
    const v32 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 32));
    v32.exec(`
      INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES ('d', 'direct', 1, 1);
      INSERT INTO outbox (id, conversation_id, client_id, kind, message_id, payload, status, attempts, next_attempt_at, last_error,
                          sealed, sealed_devices_version)
        VALUES (7, 'd', 'r1', 'reaction', 'm1', '{"emoji":"👍","on":true}', 'pending', 2, 90, 'timeout', 'AAAA', 3),
               (9, 'd', 'p1', 'pin', 'm1', '{"on":true}', 'failed', 1, 0, 'not_allowed', NULL, NULL);
    `);
    // Before: the kind's CHECK refused any kind not listed in the schema.
    expect(() =>
      v32.exec(
        `INSERT INTO outbox (conversation_id, client_id, kind, payload, status) VALUES ('d', 'c0', 'call', '{}', 'pending')`,
      ),
    ).toThrow(/CHECK constraint failed/);
    v32.close();

    const v33 = openDatabase(path, MIRROR_MIGRATIONS);
    const rows = v33
      .prepare(
        'SELECT id, client_id, kind, status, attempts, next_attempt_at, last_error, sealed, sealed_devices_version FROM outbox ORDER BY id',
      )
      .all();
    expect(rows).toEqual([
      {
        id: 7,
        client_id: 'r1',
        kind: 'reaction',
        status: 'pending',
        attempts: 2,
        next_attempt_at: 90,
        last_error: 'timeout',
        sealed: 'AAAA',
        sealed_devices_version: 3,
      },
      {
        id: 9,
        client_id: 'p1',
        kind: 'pin',
        status: 'failed',
        attempts: 1,
        next_attempt_at: 0,
        last_error: 'not_allowed',
        sealed: null,
        sealed_devices_version: null,
      },
    ]);
    const indexes = v33
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL ORDER BY name")
      .all();
    expect(indexes).toEqual([{ name: 'outbox_by_conversation' }, { name: 'outbox_changes' }]);
    // The list's newest call: none yet, and the list's index covers it.
    expect(v33.prepare("SELECT last_call FROM conversations WHERE id = 'd'").get()).toEqual({ last_call: null });
    const listed = v33.prepare("SELECT name FROM pragma_index_info('conversations_list')").all() as { name: string }[];
    expect(listed.at(-1)).toEqual({ name: 'last_call' });
    v33.close();

    // A call's entry is queued behind them, once however often it is queued.
    const mirror = Mirror.open(path);
    mirror.outbox.enqueueCall('d', CALL);
    mirror.outbox.enqueueCall('d', CALL);
    const queued = mirror.outbox.pendingIn('d', 0, 10);
    expect(queued.map((entry) => entry.kind)).toEqual(['reaction', 'call']);
    expect(queued[1]).toMatchObject({ kind: 'call', clientId: `call-${CALL.callId}`, call: CALL });

    mirror.close();

    // A kind no version of this app wrote (nothing in the schema refuses it now) fails by name when
    // read back, not somewhere further on.
    const raw = openDatabase(path, MIRROR_MIGRATIONS);
    raw.exec(
      `INSERT INTO outbox (conversation_id, client_id, kind, payload, status) VALUES ('d', 'x1', 'hologram', '{}', 'pending')`,
    );
    raw.close();
    const again = Mirror.open(path);
    expect(() => again.outbox.pendingIn('d', 0, 10)).toThrow(/Outbox row x1 has a kind this version does not know: "hologram"/);
    again.close();
  });
});
