import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { addMeAndAnn, createTempMirrorPaths, envelopeIn, messageIn } from '../../support/test-mirror.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-27-');
afterEach(() => paths.cleanup());
const deletedCopy = (event: EnvelopeEvent): EnvelopeEvent => ({ ...event, ciphertext: '', attachments: [], deleted: true });

function waitingSeqs(path: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT seq FROM envelopes_waiting ORDER BY seq').pluck().all() as number[];
  } finally {
    db.close();
  }
}

describe('mirror migration 27', () => {
  it('turns each envelope that waited deleted into a deleted message at its seq, and keeps those still to open', () => {
    const path = paths.path();
    const v26 = Mirror.open(path);
    addMeAndAnn(v26);
    v26.close();
    // A version-26 mirror as one was left: an envelope deleted for everyone waited, emptied.
    const db = new Database(path);
    db.pragma('user_version = 26');
    db.exec(`
      DELETE FROM envelopes_waiting;
      ALTER TABLE envelopes_waiting ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
      INSERT INTO envelopes_waiting (conversation_id, seq, sender_id, sender_device, client_id, ciphertext, attachments, deleted, sent_at)
      VALUES ('c1', 2, 'ann', 2, 'e2', '', '[]', 1, 2002), ('c1', 3, 'ann', 2, 'e3', 'AAAA', '[]', 0, 2003),
             ('gone', 4, 'ann', 2, 'e4', '', '[]', 1, 2004);
    `);
    db.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 27)).close();
    const migrated = new Database(path, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(27);
    expect(migrated.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('envelopes_waiting')).not.toContain('deleted');
    expect(migrated.prepare('SELECT conversation_id, seq FROM envelopes_waiting').all()).toEqual([
      { conversation_id: 'c1', seq: 3 },
    ]);
    // One of a conversation this mirror no longer has goes with nothing in its place.
    expect(
      migrated
        .prepare('SELECT conversation_id, client_message_id, sender_id, text, seq, state, sent_at, deleted FROM messages')
        .all(),
    ).toEqual([
      {
        conversation_id: 'c1',
        client_message_id: 'e2',
        sender_id: 'ann',
        text: '',
        seq: 2,
        state: 'sent',
        sent_at: 2002,
        deleted: 1,
      },
    ]);
    migrated.close();
  });

  it('makes an envelope deleted before it opened a deleted message, and no copy from before the delete brings it back', () => {
    const path = paths.path();
    const mirror = Mirror.open(path);
    addMeAndAnn(mirror);
    // Another's envelope, deleted for everyone before this device met it.
    mirror.applyEvents('c1', [messageIn(1), deletedCopy(envelopeIn(2))], 'me');
    // Our own, acknowledged past a gap: kept at once; the catch-up then brings it deleted.
    const ours = envelopeIn(4, 'me');
    mirror.acknowledge(ours, 'me');
    expect(waitingSeqs(path)).toEqual([4]);
    expect(mirror.applyEvents('c1', [messageIn(3), deletedCopy(ours)], 'me')).toBe(4);
    expect(waitingSeqs(path)).toEqual([]);
    expect(mirror.message('c1', 'e2')).toEqual({ senderId: 'ann', seq: 2, deleted: true });
    expect(mirror.message('c1', 'e4')).toEqual({ senderId: 'me', seq: 4, deleted: true });

    // Past a gap copies come in any order: one from before the delete, after it, changes nothing.
    const later = envelopeIn(6, 'me');
    mirror.acknowledge(later, 'me');
    mirror.acknowledge(deletedCopy(later), 'me');
    mirror.acknowledge(later, 'me');
    expect(waitingSeqs(path)).toEqual([]);
    expect(mirror.message('c1', 'e6')).toEqual({ senderId: 'me', seq: 6, deleted: true });
    mirror.close();
  });
});
