/**
 * Disappearing messages in the mirror (mirror/disappearing.ts): when each message's timer starts,
 * what goes with it when it runs out, and the setting as the latest notice says it.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Composer } from '../../../sync/client/composer.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { sealableRow } from '../../../sync/client/queued-content.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { addMeAndAnn, createTempMirrorPaths } from '../../support/test-mirror.js';

const paths = createTempMirrorPaths('mirror-disappearing-');
afterEach(() => paths.cleanup());

const MINUTE = 60_000;
const WEEK = 7 * 24 * 60 * MINUTE;

const base = (seq: number, senderId: string, sentAt = 1_000 + seq) => ({ conversationId: 'c1', seq, senderId, sentAt });
const message = (
  seq: number,
  id: string,
  senderId: string,
  expiresInMs?: number,
  replyTo: string | null = null,
): AppliedEvent => ({
  kind: 'message',
  ...base(seq, senderId),
  clientMessageId: id,
  text: `words of ${id}`,
  replyTo,
  deleted: false,
  attachments: [],
  ...(expiresInMs ? { expiresInMs } : {}),
});
const timer = (seq: number, senderId: string, timerMs: number | null): AppliedEvent => ({
  kind: 'disappearing_timer_set',
  ...base(seq, senderId),
  clientChangeId: `t${seq}`,
  timerMs,
});

function open(startAt = 10_000) {
  const path = paths.path();
  const mirror = Mirror.open(path);
  addMeAndAnn(mirror);
  mirror.saveSession({ serverUrl: 'ws://x', token: 't', user: { id: 'me', username: 'me', displayName: 'Me' } });
  const clock = { at: startAt, now: () => clock.at };
  mirror.disappearing.useClock(clock);
  return { mirror, clock, path };
}

const ids = (mirror: Mirror) => mirror.views.messagePage('c1', 'me', 100).messages.map((view) => view.id);
const expire = (mirror: Mirror) => mirror.transaction(() => mirror.disappearing.expireDue('me'));

describe('disappearing messages in the mirror', () => {
  it('starts an own message’s timer when the server stored it, and then takes away every trace of it', () => {
    const { mirror, clock } = open();
    mirror.applyEvents('c1', [message(1, 'mine', 'me', 5 * MINUTE), message(2, 'reply', 'ann', undefined, 'mine')], 'me');
    mirror.applyEvents(
      'c1',
      [{ kind: 'reaction', ...base(3, 'ann'), clientChangeId: 'r3', messageId: 'mine', emoji: '👍', on: true }],
      'me',
    );
    const sentAt = 1_001;
    expect(mirror.views.messageView('c1', 'mine', 'me')).toMatchObject({
      expiresInMs: 5 * MINUTE,
      expiresAt: sentAt + 5 * MINUTE,
    });
    expect(mirror.disappearing.nextExpiry()).toBe(sentAt + 5 * MINUTE);

    clock.at = sentAt + 5 * MINUTE - 1;
    expect(expire(mirror).conversationIds.size).toBe(0);
    clock.at = sentAt + 5 * MINUTE;
    const expired = expire(mirror);
    expect([...expired.conversationIds]).toEqual(['c1']);
    expect(ids(mirror)).toEqual(['reply']);
    expect(mirror.views.messageView('c1', 'reply', 'me')?.replyTo).toMatchObject({
      available: false,
      disappeared: true,
      text: '',
    });
    expect(mirror.search.search('words', 'me', 10).map((result) => result.messageId)).toEqual(['reply']);
    expect(mirror.disappearing.nextExpiry()).toBeNull();
    mirror.close();
  });

  it('starts a received message’s timer only when it is read, and never stores a late copy of one that went', () => {
    const { mirror, clock } = open();
    mirror.applyEvents('c1', [message(1, 'theirs', 'ann', 30_000), message(2, 'plain', 'ann')], 'me');
    expect(mirror.views.messageView('c1', 'theirs', 'me')?.expiresAt).toBeNull();
    clock.at = 50_000;
    mirror.markReadLocally('c1', 'me');
    expect(mirror.views.messageView('c1', 'theirs', 'me')?.expiresAt).toBe(80_000);
    expect(mirror.views.messageView('c1', 'plain', 'me')?.expiresAt).toBeNull();
    clock.at = 80_000;
    expire(mirror);
    expect(ids(mirror)).toEqual(['plain']);
    // A copy of it again (a catch-up past a gap brings copies in any order): it stays gone.
    mirror.acknowledgeAll([message(1, 'theirs', 'ann', 30_000)], 'me');
    expect(ids(mirror)).toEqual(['plain']);
    mirror.close();
  });

  it('starts the timer at arrival for a message this person read on another device before this one caught up', () => {
    const { mirror, clock } = open();
    // Another device of ours read up to seq 1 (the server's watermark came first).
    mirror.raiseWatermarks('c1', 'me', 1, 1);
    clock.at = 20_000;
    mirror.applyEvents('c1', [message(1, 'read-elsewhere', 'ann', 30_000), message(2, 'unread', 'ann', 30_000)], 'me');
    expect(mirror.views.messageView('c1', 'read-elsewhere', 'me')?.expiresAt).toBe(50_000);
    expect(mirror.views.messageView('c1', 'unread', 'me')?.expiresAt).toBeNull();
    mirror.close();
  });

  it('runs the timer from when another device of this person read it, for what is here and what comes later', () => {
    const { mirror, clock } = open();
    mirror.applyEvents('c1', [message(1, 'here', 'ann', 30_000)], 'me');
    clock.at = 40_000;
    mirror.markReadLocally('c1', 'me');
    expect(mirror.views.messageView('c1', 'here', 'me')?.expiresAt).toBe(70_000);
    // The phone read it earlier (and what came after, not here yet); a later word changes nothing more.
    mirror.transaction(() => mirror.disappearing.readElsewhere('c1', 'me', 2, 25_000));
    mirror.transaction(() => mirror.disappearing.readElsewhere('c1', 'me', 2, 35_000));
    expect(mirror.views.messageView('c1', 'here', 'me')?.expiresAt).toBe(55_000);
    clock.at = 50_000;
    mirror.applyEvents('c1', [message(2, 'later', 'ann', 30_000)], 'me');
    mirror.raiseWatermarks('c1', 'me', 2, 2);
    expect(mirror.views.messageView('c1', 'later', 'me')?.expiresAt).toBe(55_000);
    clock.at = 55_000;
    expire(mirror);
    expect(ids(mirror)).toEqual([]);
    mirror.close();
  });

  it('keeps the latest timer by seq whatever order the notices come in, and each message keeps its own', () => {
    const { mirror } = open();
    mirror.acknowledgeAll([timer(3, 'ann', null)], 'me');
    mirror.applyEvents('c1', [timer(1, 'me', WEEK), message(2, 'during', 'ann', WEEK), timer(3, 'ann', null)], 'me');
    expect(mirror.disappearingSetting('c1').timerMs).toBeNull();
    const notices = mirror.views.messagePage('c1', 'me', 100).notices;
    expect(notices.map((notice) => [notice.kind, notice.timerMs])).toEqual([
      ['disappearing_timer_set', WEEK],
      ['disappearing_timer_set', null],
    ]);
    expect(mirror.views.messageView('c1', 'during', 'me')?.expiresInMs).toBe(WEEK);
    mirror.close();
  });

  it('gives a message composed offline the timer its author set, queued or not, and seals it beside the message', () => {
    const { mirror } = open();
    const composer = new Composer(mirror, realRuntime(), 'me', () => false);
    composer.setDisappearing('c1', { kind: 'disappearing_timer', timerMs: 5 * MINUTE });
    // Changed again before anything went: only the last choice is queued.
    composer.setDisappearing('c1', { kind: 'disappearing_timer', timerMs: 30_000 });
    expect(mirror.outbox.queuedSettings('c1').map((row) => row.content)).toEqual([
      { kind: 'disappearing_timer', timerMs: 30_000 },
    ]);
    const id = composer.send('c1', 'gone soon', null);
    const entry = mirror.outbox.pendingIn('c1', 0, 10).find((row) => row.kind === 'send');
    expect(entry).toMatchObject({ messageId: id, expiresInMs: 30_000 });
    const sealed = sealableRow(entry!, []);
    expect(sealed).toMatchObject({ content: { kind: 'message', expiresInMs: 30_000 }, expiresInMs: 30_000 });
    mirror.close();
  });

  it('fails a queued message whose stored timer is damaged by name, instead of sending it without one', () => {
    const { mirror, path } = open();
    const composer = new Composer(mirror, realRuntime(), 'me', () => false);
    composer.setDisappearing('c1', { kind: 'disappearing_timer', timerMs: 30_000 });
    composer.send('c1', 'gone soon', null);
    mirror.close();
    const db = new Database(path);
    db.prepare('UPDATE messages SET expires_in_ms = 12345').run();
    db.close();
    const reopened = Mirror.open(path);
    expect(() => reopened.outbox.pendingIn('c1', 0, 10)).toThrow(/disappearing timer that is not one/);
    reopened.close();
  });
});
