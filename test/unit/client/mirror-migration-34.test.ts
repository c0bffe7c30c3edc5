import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-34-');
afterEach(() => paths.cleanup());

describe('mirror migration 34', () => {
  it('adds the message state table, keeps what was there, and a poll composed after it is queued with its options', () => {
    const path = paths.path();
    const v33 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 33));
    v33.exec(`
      INSERT INTO conversations (id, kind, created_at, last_activity_at, is_member) VALUES ('d', 'direct', 1, 1, 1);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, sent_at)
        VALUES ('d', 'm1', 'ann', 'before', 1, 'sent', 1, 1);
    `);
    expect(() => v33.prepare('SELECT 1 FROM message_state').all()).toThrow(/no such table/);
    v33.close();

    const v34 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 34));
    expect(v34.pragma('user_version', { simple: true })).toBe(34);
    expect(v34.prepare('SELECT text FROM messages').all()).toEqual([{ text: 'before' }]);
    const columns = (v34.pragma('table_info(message_state)') as { name: string; pk: number }[]).map((column) => [
      column.name,
      column.pk,
    ]);
    expect(columns).toEqual([
      ['conversation_id', 1],
      ['message_id', 2],
      ['kind', 3],
      ['holder_id', 4],
      ['value', 0],
      ['seq', 0],
    ]);
    v34.close();

    const mirror = Mirror.open(path);
    mirror.enqueueMessage('d', 'p1', 'me', 'Where to?', null, 2, [], null, { options: ['Lake', 'Hills'], multiple: false });
    expect(mirror.outbox.pendingIn('d', 0, 10)).toMatchObject([
      { kind: 'send', messageId: 'p1', text: 'Where to?', poll: { options: ['Lake', 'Hills'], multiple: false } },
    ]);
    mirror.close();
  });
});
