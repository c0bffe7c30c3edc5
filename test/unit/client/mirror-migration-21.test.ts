import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { addMeAndAnn, createTempMirrorPaths, envelopeIn, messageIn } from '../../support/test-mirror.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';

const paths = createTempMirrorPaths('mirror-21-');
afterEach(() => paths.cleanup());
const envelope = envelopeIn;
const message = messageIn;

const WAITING = `SELECT conversation_id, seq, sender_id, sender_device, client_id, ciphertext, attachments, sent_at
                 FROM envelopes_waiting ORDER BY seq`;

/** An envelope event as envelopes_waiting keeps it. */
function rowOf(event: EnvelopeEvent) {
  return {
    conversation_id: event.conversationId,
    seq: event.seq,
    sender_id: event.senderId,
    sender_device: event.senderDevice,
    client_id: event.clientId,
    ciphertext: event.ciphertext,
    attachments: JSON.stringify(event.attachments),
    sent_at: event.sentAt,
  };
}

function waiting(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(WAITING).all();
  } finally {
    db.close();
  }
}

describe('mirror migration 21', () => {
  it('keeps what a version-20 mirror holds and adds envelopes_waiting empty', () => {
    const path = paths.path();
    const v20 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 20));
    v20.exec(`INSERT INTO signal_inbox_done (envelope_id, done_at) VALUES ('10', 5)`);
    v20.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 21)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(21);
    expect(db.prepare(`SELECT envelope_id FROM signal_inbox_done`).pluck().all()).toEqual(['10']);
    expect(db.prepare(`SELECT count(*) FROM envelopes_waiting`).pluck().get()).toBe(0);
    db.close();
  });

  it('keeps each envelope event with the cursor that passed it, in seq order among the messages', () => {
    const path = paths.path();
    const mirror = Mirror.open(path);
    addMeAndAnn(mirror);
    const events = [message(1), envelope(2), envelope(3, 'me'), message(4), envelope(5)];
    expect(mirror.applyEvents('c1', events, 'me')).toBe(5);
    // Applied again (a page that overlaps): nothing changes.
    expect(mirror.applyEvents('c1', events, 'me')).toBe(5);
    mirror.close();
    expect(waiting(path)).toEqual([envelope(2), envelope(3, 'me'), envelope(5)].map(rowOf));
  });

  it('reads back what waits, in seq order, leaving out and telling of a row that does not read back whole', () => {
    const path = paths.path();
    const mirror = Mirror.open(path);
    addMeAndAnn(mirror);
    mirror.applyEvents('c1', [message(1), envelope(2), envelope(3), envelope(4)], 'me');
    const db = new Database(path);
    db.prepare(`UPDATE envelopes_waiting SET attachments = '[1' WHERE seq = 3`).run();
    db.close();
    const unreadable: number[] = [];
    expect(mirror.waitingEnvelopes('c1', (seq) => unreadable.push(seq))).toEqual([envelope(2), envelope(4)]);
    expect(unreadable).toEqual([3]);
    mirror.close();
  });
});
