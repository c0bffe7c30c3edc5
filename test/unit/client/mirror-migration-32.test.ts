import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-32-');
afterEach(() => paths.cleanup());

describe('mirror migration 32', () => {
  it('gives what was sent before its message’s seq, leaves a change kept before with none, and keeps the seq of what is sent after', () => {
    const path = paths.path();
    const v31 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 31));
    v31.exec(`
      INSERT INTO conversations (id, kind, created_at, last_activity_at) VALUES ('g', 'group', 1, 1);
      INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, sent_at)
        VALUES ('g', 'm1', 'me', 'hello', 7, 'sent', 70, 70);
      INSERT INTO sent_content (conversation_id, client_id, content, sent_at) VALUES
        ('g', 'm1', '{"kind":"message","text":"hello"}', 70),
        ('g', 'r1', '{"kind":"reaction","messageId":"m1","emoji":"👍","on":true}', 80);
    `);
    v31.close();

    const mirror = Mirror.open(path);
    expect(mirror.sentContent.seq('g', 'm1')).toBe(7);
    expect(mirror.sentContent.seq('g', 'r1')).toBeNull();
    expect(mirror.sentContent.seq('g', 'never-sent')).toBeNull();
    mirror.sentContent.keep(
      { conversationId: 'g', clientId: 'p1', seq: 9, sentAt: 90 },
      { kind: 'pin', messageId: 'm1', on: true },
    );
    expect(mirror.sentContent.seq('g', 'p1')).toBe(9);
    mirror.close();
  });
});
