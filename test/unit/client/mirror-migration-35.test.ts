import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-35-');
afterEach(() => paths.cleanup());

describe('mirror migration 35', () => {
  it('gives messages a timer and an expiry, conversations a setting, keeps what was there, and finds due messages by index', () => {
    const path = paths.path();
    const v34 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 34));
    v34.exec(`
      INSERT INTO conversations (id, kind, created_at, last_activity_at, is_member) VALUES ('d', 'direct', 1, 1, 1);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, sent_at)
        VALUES ('d', 'm1', 'ann', 'before', 1, 'sent', 1, 1);
    `);
    v34.close();

    const v35 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 35));
    expect(v35.pragma('user_version', { simple: true })).toBe(35);
    // What was there stays, without a timer: changing the setting never changes older messages.
    expect(v35.prepare('SELECT text, expires_in_ms, expires_at FROM messages').all()).toEqual([
      { text: 'before', expires_in_ms: null, expires_at: null },
    ]);
    expect(
      v35
        .prepare('SELECT disappearing_ms, disappearing_seq, disappearing_everyone, disappearing_policy_seq FROM conversations')
        .get(),
    ).toEqual({ disappearing_ms: null, disappearing_seq: 0, disappearing_everyone: 0, disappearing_policy_seq: 0 });
    const plan = v35
      .prepare('EXPLAIN QUERY PLAN SELECT local_id FROM messages WHERE expires_at <= 5 ORDER BY expires_at LIMIT 10')
      .all() as { detail: string }[];
    expect(plan.map((step) => step.detail).join(' ')).toMatch(/messages_expiry/);
    expect(v35.prepare('SELECT COUNT(*) AS n FROM read_times').get()).toEqual({ n: 0 });
    v35.prepare("INSERT INTO disappeared (conversation_id, message_id) VALUES ('d', 'm0')").run();
    expect(() => v35.prepare("INSERT INTO disappeared (conversation_id, message_id) VALUES ('d', 'm0')").run()).toThrow(/UNIQUE/);
    v35.close();
  });
});
