import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { createTestMirrors } from '../../support/test-mirror.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';

const mirrors = createTestMirrors();
afterEach(() => mirrors.cleanup());
const openMirror = () => mirrors.open();

const base = (seq: number, senderId: string) => ({ conversationId: 'c1', seq, senderId, sentAt: 1000 + seq });
const message = (seq: number, id: string, senderId = 'ann', replyTo: string | null = null): AppliedEvent => ({
  kind: 'message',
  ...base(seq, senderId),
  clientMessageId: id,
  text: `text of ${id}`,
  replyTo,
  deleted: false,
  attachments: [],
});
const edit = (seq: number, id: string, text: string, senderId = 'ann'): AppliedEvent => ({
  kind: 'edit',
  ...base(seq, senderId),
  clientChangeId: `e${seq}`,
  messageId: id,
  text,
});
const del = (seq: number, id: string, senderId = 'ann'): AppliedEvent => ({
  kind: 'delete',
  ...base(seq, senderId),
  clientChangeId: `d${seq}`,
  messageId: id,
});
const react = (seq: number, id: string, emoji: string, on: boolean, senderId = 'ann'): AppliedEvent => ({
  kind: 'reaction',
  ...base(seq, senderId),
  clientChangeId: `r${seq}`,
  messageId: id,
  emoji,
  on,
});

const page = (mirror: Mirror) => mirror.views.messagePage('c1', 'me', 100).messages;

describe('applying edits, deletes, reactions and replies', () => {
  it('shows the latest edit, marks it edited and keeps every version', () => {
    const mirror = openMirror();
    mirror.applyEvents('c1', [message(1, 'a'), edit(2, 'a', 'second'), edit(3, 'a', 'third')], 'me');
    const [view] = page(mirror);
    expect(view).toMatchObject({ text: 'third', edited: true, deleted: false });
    expect(mirror.views.editHistory('c1', 'a').map((v) => v.text)).toEqual(['text of a', 'second', 'third']);
    mirror.close();
  });

  it('holds a change whose message has not arrived and applies it when it does', () => {
    const mirror = openMirror();
    // Applied one by one out of order, as a partial history or a late original would deliver them.
    mirror.acknowledge(edit(5, 'a', 'fixed typo'), 'me');
    mirror.acknowledge(react(6, 'a', '👍', true, 'me'), 'me');
    expect(page(mirror)).toEqual([]);
    mirror.acknowledge(message(4, 'a'), 'me');
    const [view] = page(mirror);
    expect(view).toMatchObject({ text: 'fixed typo', edited: true });
    expect(view?.reactions).toEqual([{ emoji: '👍', count: 1, mine: true }]);
    mirror.close();
  });

  it('holds an own edit acknowledged before its own message (pipelined, that answer lost), so its history starts from the original', () => {
    const mirror = openMirror();
    mirror.enqueueMessage('c1', 'a', 'me', 'text of a', null, 500);
    mirror.acknowledgeAll([edit(5, 'a', 'fixed typo', 'me')], 'me');
    mirror.acknowledgeAll([message(4, 'a', 'me')], 'me');
    expect(page(mirror)[0]).toMatchObject({ text: 'fixed typo', edited: true, seq: 4 });
    expect(mirror.views.editHistory('c1', 'a').map((version) => version.text)).toEqual(['text of a', 'fixed typo']);
    mirror.close();
  });

  it('acknowledgements answered together are recorded in seq order, whatever order they came in', () => {
    const mirror = openMirror();
    for (const id of ['a', 'b', 'c']) mirror.enqueueMessage('c1', id, 'me', `text of ${id}`, null, 500);
    mirror.acknowledgeAll(
      [edit(4, 'a', 'second', 'me'), message(3, 'c', 'me'), message(1, 'a', 'me'), message(2, 'b', 'me')],
      'me',
    );
    expect(mirror.cursor('c1')).toMatchObject({ appliedSeq: 4 });
    expect(page(mirror).map((view) => [view.text, view.seq])).toEqual([
      ['second', 1],
      ['text of b', 2],
      ['text of c', 3],
    ]);
    expect(mirror.outbox.pendingCount()).toBe(0);
    mirror.close();
  });

  it('in seq order, drops a change to a message that was never ours to see instead of holding it forever', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'late-joiner-')), 'mirror.sqlite');
    const mirror = Mirror.open(path);
    mirror.upsertConversation(
      { id: 'c1', kind: 'group', name: 'Trip', isMember: true, createdAt: 1, lastSeq: 7, members: [] },
      'me',
    );
    // We joined at 6: 'old' (seq 2) is not ours; a reaction and an edit to it reach us all the same.
    mirror.applyEvents('c1', [react(6, 'old', '👍', true), edit(7, 'old', '')], 'me', { skippedTo: 5 });
    expect(mirror.cursor('c1')).toMatchObject({ appliedSeq: 7 });
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) FROM held_events').pluck().get()).toBe(0);
    db.close();
    mirror.close();
  });

  it('deletes for everyone: text, versions, reactions and what it quoted are gone, and later reactions are ignored', () => {
    const mirror = openMirror();
    mirror.applyEvents(
      'c1',
      [message(1, 'q'), message(2, 'a', 'ann', 'q'), edit(3, 'a', 'v2'), react(4, 'a', '❤️', true, 'me'), del(5, 'a')],
      'me',
    );
    mirror.acknowledge(react(9, 'a', '😂', true, 'me'), 'me');
    const [, view] = page(mirror);
    // As a device that never had it sees it: the server's copy no longer says what it answered.
    expect(view).toMatchObject({ id: 'a', text: '', deleted: true, edited: false, reactions: [], replyTo: null });
    expect(mirror.views.editHistory('c1', 'a')).toEqual([]);
    expect(mirror.views.conversationSummaries('me')[0]?.lastMessage).toMatchObject({ deleted: true, text: '' });
    mirror.close();
  });

  it('reactions: several emojis per person, one per emoji, last writer by seq wins', () => {
    const mirror = openMirror();
    mirror.applyEvents(
      'c1',
      [
        message(1, 'a'),
        react(2, 'a', '👍', true),
        react(3, 'a', '👍', true, 'me'),
        react(4, 'a', '👍', true),
        react(5, 'a', '🙏', true),
      ],
      'me',
    );
    expect(page(mirror)[0]?.reactions).toEqual([
      { emoji: '👍', count: 2, mine: true },
      { emoji: '🙏', count: 1, mine: false },
    ]);
    // An older "off" applied late does not undo the newer "on".
    mirror.acknowledge(react(8, 'a', '👍', false, 'me'), 'me');
    mirror.applyEvents('c1', [react(6, 'a', '🙏', false), react(7, 'a', '👍', true, 'me')], 'me');
    expect(page(mirror)[0]?.reactions).toEqual([{ emoji: '👍', count: 1, mine: false }]);
    mirror.close();
  });

  it('a quote follows the original through edits and deletion, and is a placeholder until it arrives', () => {
    const mirror = openMirror();
    mirror.acknowledge(message(2, 'reply', 'me', 'orig'), 'me');
    expect(page(mirror)[0]?.replyTo).toEqual({
      messageId: 'orig',
      available: false,
      senderId: null,
      senderName: null,
      text: '',
      deleted: false,
      disappeared: false,
    });
    mirror.applyEvents('c1', [message(1, 'orig'), message(2, 'reply', 'me', 'orig'), edit(3, 'orig', 'edited original')], 'me');
    expect(page(mirror)[1]?.replyTo).toMatchObject({
      available: true,
      senderName: 'Ann',
      text: 'edited original',
      deleted: false,
    });
    mirror.applyEvents('c1', [del(4, 'orig')], 'me');
    expect(page(mirror)[1]?.replyTo).toMatchObject({ available: true, text: '', deleted: true });
    mirror.close();
  });

  it('ends in the same state whatever order the same events are applied in', () => {
    const events: AppliedEvent[] = [
      message(1, 'a'),
      message(2, 'b', 'me', 'a'),
      edit(3, 'a', 'a2'),
      react(4, 'b', '😮', true),
      react(5, 'a', '👍', true, 'me'),
      edit(6, 'a', 'a3'),
      react(7, 'a', '👍', false, 'me'),
      react(8, 'a', '😢', true),
      del(9, 'b', 'me'),
      edit(10, 'a', 'a4'),
    ];
    const inOrder = openMirror();
    inOrder.applyEvents('c1', events, 'me');
    const expected = page(inOrder);
    for (const order of [[...events].reverse(), [events[5]!, events[2]!, ...events.filter((_, i) => i !== 2 && i !== 5)]]) {
      const shuffled = openMirror();
      for (const event of order) shuffled.acknowledge(event, 'me');
      expect(page(shuffled)).toEqual(expected);
      shuffled.close();
    }
    inOrder.close();
  });
});

describe("the conversation list's stored newest message and unread count", () => {
  it('follow applied events, local sends, withdrawals and our read watermark from any device', () => {
    const mirror = openMirror();
    mirror.saveSession({ serverUrl: 'ws://x', token: 't', user: { id: 'me', username: 'me', displayName: 'Me' } });
    const summary = () => mirror.views.conversationSummaries('me')[0]!;
    mirror.applyEvents('c1', [message(1, 'a'), message(2, 'b'), message(3, 'mine', 'me'), edit(4, 'a', 'x')], 'me');
    expect(summary()).toMatchObject({ unreadCount: 2, lastMessage: { text: 'text of mine', own: true } });

    mirror.enqueueMessage('c1', 'draft', 'me', 'unsent', null, 50);
    expect(summary().lastMessage).toMatchObject({ text: 'unsent', own: true });
    mirror.withdrawUnsent('c1', 'draft');
    expect(summary().lastMessage).toMatchObject({ text: 'text of mine' });

    mirror.applyEvents('c1', [message(5, 'c')], 'me');
    expect(summary()).toMatchObject({ unreadCount: 3, lastMessage: { text: 'text of c', own: false } });
    // Read on another device up to seq 2: one of ours left unread.
    mirror.raiseWatermarks('c1', 'me', 2, 2);
    expect(summary().unreadCount).toBe(1);
    mirror.markReadLocally('c1', 'me');
    expect(summary().unreadCount).toBe(0);
    // Edits and deletes of the newest message show in the list too.
    mirror.applyEvents('c1', [edit(6, 'c', 'c, edited')], 'me');
    expect(summary().lastMessage).toMatchObject({ text: 'c, edited', deleted: false });
    mirror.applyEvents('c1', [del(7, 'c')], 'me');
    expect(summary().lastMessage).toMatchObject({ text: '', deleted: true });
    mirror.close();
  });
});
