/**
 * Mirror migration 24 and what it keeps: what this device sent, to send again to a member's
 * device that could not open it (mirror/sent-content.ts: a day, never once deleted for everyone,
 * once per device), and the envelopes this device asked to be sent again and gave up on
 * (mirror/resend-requests.ts: a notice at the envelope's seq, gone when what it said comes).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { KEEP_SENT_CONTENT_MS } from '../../../sync/client/mirror/sent-content.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';

const paths = createTempMirrorPaths('mirror-24-');
afterEach(() => paths.cleanup());

const person = (id: string) => ({
  id,
  username: id,
  displayName: `${id} name`,
  role: 'member' as const,
  deliveredSeq: 0,
  readSeq: 0,
});

function groupMirror(path = paths.path()): Mirror {
  const mirror = Mirror.open(path);
  mirror.upsertConversation(
    { id: 'g', kind: 'group', name: 'Trip', isMember: true, createdAt: 1000, lastSeq: 0, members: ['me', 'peer'].map(person) },
    'me',
  );
  return mirror;
}

const envelope = (seq: number, clientId: string): EnvelopeEvent => ({
  kind: 'envelope',
  conversationId: 'g',
  seq,
  senderId: 'peer',
  senderDevice: 2,
  clientId,
  ciphertext: 'c2VhbGVk',
  attachments: [],
  deleted: false,
  sentAt: 5000 + seq,
});

const waiting = (mirror: Mirror) =>
  mirror.waitingEnvelopes('g', (seq) => {
    throw new Error(`envelope ${seq} did not read back`);
  });

const say = (text: string) => ({ kind: 'message' as const, text });
const peer = { userId: 'peer', deviceNumber: 2 };

describe('mirror migration 24', () => {
  it('keeps what a version-23 mirror holds and adds its tables empty', () => {
    const path = paths.path();
    const v23 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 23));
    v23.exec(`INSERT INTO sender_key_holders (distribution_id, user_id) VALUES ('d', 'peer')`);
    v23.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 24)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(24);
    expect(db.prepare('SELECT user_id FROM sender_key_holders').pluck().all()).toEqual(['peer']);
    for (const table of ['sent_content', 'sent_content_resends', 'resend_requests']) {
      expect(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()).toBe(0);
    }
    db.close();
  });

  it('keeps what was sent for a day, checked as it reads back, and sends it again once per device', () => {
    const path = paths.path();
    const mirror = groupMirror(path);
    const unreadable: unknown[] = [];
    const read = (clientId: string) => mirror.sentContent.content('g', clientId, (error) => unreadable.push(error));
    mirror.sentContent.keep({ conversationId: 'g', clientId: 'm1', seq: 1, sentAt: 1000 }, say('hello'));
    // A second keep of the same envelope (the outbox acknowledging again) keeps the first.
    mirror.sentContent.keep({ conversationId: 'g', clientId: 'm1', seq: 1, sentAt: 2000 }, say('other'));
    expect(read('m1')).toEqual(say('hello'));
    expect(mirror.sentContent.content('elsewhere', 'm1', () => undefined)).toBeNull();

    expect(mirror.sentContent.noteResend('g', 'm1', peer, 1500)).toBe(true);
    expect(mirror.sentContent.noteResend('g', 'm1', peer, 1600)).toBe(false);
    expect(mirror.sentContent.noteResend('g', 'm1', { ...peer, deviceNumber: 3 }, 1600)).toBe(true);

    // What does not read back as content is not sent again.
    const db = new Database(path);
    db.prepare(
      `INSERT INTO sent_content (conversation_id, client_id, content, sent_at) VALUES ('g', 'bad', '{"kind":"message"}', 1000)`,
    ).run();
    db.close();
    expect(read('bad')).toBeNull();
    expect(unreadable).toHaveLength(1);

    mirror.sentContent.keep({ conversationId: 'g', clientId: 'm2', seq: 2, sentAt: 1000 + KEEP_SENT_CONTENT_MS }, say('later'));
    mirror.sentContent.prune(1001);
    expect(read('m1')).toBeNull();
    expect(read('m2')).toEqual(say('later'));
    // The notes of what went again go a day after they were made.
    mirror.sentContent.prune(1501 + KEEP_SENT_CONTENT_MS);
    expect(mirror.sentContent.noteResend('g', 'm1', peer, 1700)).toBe(true);
    mirror.sentContent.keep(
      { conversationId: 'g', clientId: 'm3', seq: 3, sentAt: 1000 + 2 * KEEP_SENT_CONTENT_MS },
      say('kept'),
    );
    mirror.wipe();
    expect(read('m3')).toBeNull();
    mirror.close();
  });

  it('forgets what was sent once it is deleted for everyone', () => {
    const mirror = groupMirror();
    const mine = {
      kind: 'message' as const,
      conversationId: 'g',
      seq: 1,
      senderId: 'me',
      clientMessageId: 'm1',
      text: 'oops',
      sentAt: 10,
      replyTo: null,
      deleted: false,
      attachments: [],
    };
    mirror.applyEvents('g', [mine], 'me');
    mirror.sentContent.keep({ conversationId: 'g', clientId: 'm1', seq: 1, sentAt: 10 }, say('oops'));
    mirror.applyEvents(
      'g',
      [{ kind: 'delete', conversationId: 'g', seq: 2, senderId: 'me', sentAt: 20, clientChangeId: 'd1', messageId: 'm1' }],
      'me',
    );
    expect(mirror.sentContent.content('g', 'm1', () => undefined)).toBeNull();
    mirror.close();
  });

  it('asks once per envelope, shows one given up on as undecryptable, and puts what was sent again in its place', () => {
    const mirror = groupMirror();
    mirror.applyEvents('g', [envelope(1, 'm1'), envelope(2, 'm2')], 'me');
    expect(waiting(mirror).map((each) => each.seq)).toEqual([1, 2]);
    expect(mirror.resendRequests.noteAsked('g', 1, 100)).toBe(true);
    expect(mirror.resendRequests.noteAsked('g', 1, 200)).toBe(false);
    expect([...mirror.resendRequests.of('g').values()]).toEqual([{ conversationId: 'g', seq: 1, askedAt: 100, givenUp: false }]);

    expect(mirror.resendRequests.giveUp(envelope(1, 'm1'), 300)).toBe(true);
    expect(mirror.resendRequests.giveUp(envelope(1, 'm1'), 400)).toBe(false);
    const notices = mirror.views.messagePage('g', 'me', 50).notices;
    expect(notices).toEqual([
      {
        seq: 1,
        at: 5001,
        kind: 'undecryptable',
        actor: { id: 'peer', username: 'peer', displayName: 'peer name' },
        subjects: [],
        name: null,
        role: null,
      },
    ]);
    // The conversation went on: its cursor is past both.
    expect(mirror.cursor('g')?.appliedSeq).toBe(2);

    mirror.applyResent(envelope(1, 'm1'), say('here it is'), 'me');
    expect(mirror.views.messageView('g', 'm1', 'me')?.text).toBe('here it is');
    expect(mirror.views.messagePage('g', 'me', 50).notices).toEqual([]);
    expect(mirror.resendRequests.of('g').size).toBe(0);
    expect(waiting(mirror).map((each) => each.seq)).toEqual([2]);

    // Content the rules refuse (a rename by a plain member) is dropped, and the envelope waits no more.
    mirror.resendRequests.noteAsked('g', 2, 500);
    mirror.applyResent(envelope(2, 'm2'), { kind: 'rename', name: 'Taken over' }, 'me');
    expect(waiting(mirror)).toEqual([]);
    expect(mirror.views.conversationSummaries('me', 'g')[0]?.title).toBe('Trip');
    mirror.close();
  });
});
