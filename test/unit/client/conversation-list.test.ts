import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { MessageEvent } from '../../../sync/content/opened-events.js';
import type { Conversation } from '../../../sync/protocol/frames.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function mirrorFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conversation-list-'));
  dirs.push(dir);
  return join(dir, 'mirror.sqlite');
}

const me = { id: 'me', username: 'me', displayName: 'Me' };
function direct(id: string, peer: string, lastSeq = 0): Conversation {
  return {
    id,
    kind: 'direct',
    name: null,
    isMember: true,
    createdAt: 1,
    lastSeq,
    members: [
      { ...me, role: 'member', deliveredSeq: 0, readSeq: 0 },
      { id: peer, username: peer, displayName: peer.toUpperCase(), role: 'member', deliveredSeq: 0, readSeq: 0 },
    ],
  };
}
function message(conversationId: string, seq: number, senderId: string, text: string): MessageEvent {
  return {
    kind: 'message',
    conversationId,
    seq,
    senderId,
    clientMessageId: `${conversationId}-${seq}`,
    text,
    replyTo: null,
    deleted: false,
    attachments: [],
    sentAt: 100 + seq,
  };
}

/** What a fresh read of the same file says: the list kept in memory must always agree with it. */
function freshList(path: string) {
  const fresh = Mirror.open(path);
  try {
    return fresh.views.conversationSummaries('me');
  } finally {
    fresh.close();
  }
}

describe('the conversation list kept between reads', () => {
  it('agrees with a fresh read after every kind of write: new rows, messages, reads, renamed people, queued renames, a wipe', () => {
    const path = mirrorFile();
    const mirror = Mirror.open(path);
    mirror.saveSession({ serverUrl: 'ws://x', token: 't', user: me });
    const expectFresh = () => expect(mirror.views.conversationSummaries('me')).toEqual(freshList(path));

    expectFresh();
    mirror.upsertConversation(direct('c1', 'ann'), 'me');
    mirror.upsertConversation(direct('c2', 'bob'), 'me');
    expectFresh();
    mirror.noteKnownSeq('c1', 2);
    mirror.applyEvents('c1', [message('c1', 1, 'ann', 'hello'), message('c1', 2, 'ann', 'again')], 'me');
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({
      id: 'c1',
      unreadCount: 2,
      lastMessage: { text: 'again' },
    });
    expectFresh();
    mirror.markReadLocally('c1', 'me');
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ id: 'c1', unreadCount: 0 });
    expectFresh();
    // Someone's new display name shows wherever they are the peer.
    mirror.upsertUser({ id: 'bob', username: 'bob', displayName: 'Robert' });
    expect(mirror.views.conversationSummaries('me').find((c) => c.id === 'c2')?.title).toBe('Robert');
    expectFresh();
    // A write that rolls back leaves no trace, in the file or in the list.
    expect(() =>
      mirror.transaction(() => {
        mirror.applyEvents('c2', [], 'me');
        mirror.noteKnownSeq('c2', 9);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expectFresh();
    mirror.createLocalConversation({
      id: 'g1',
      kind: 'group',
      name: 'Trip',
      members: [{ user: me, role: 'owner' }],
      create: { kind: 'group', name: 'Trip', memberIds: [] },
      now: 500,
      selfId: 'me',
    });
    mirror.outbox.enqueueGroupChange('g1', 'rename-1', { kind: 'rename', name: 'Trip 2' });
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({
      id: 'g1',
      kind: 'group',
      title: 'Trip 2',
      memberCount: 1,
    });
    expectFresh();
    mirror.wipe();
    expect(mirror.views.conversationSummaries('me')).toEqual([]);
    expectFresh();
    mirror.close();
  });

  it('counts a mention of us among the unread (only "@me", not an address or another name), and none once read', () => {
    const mirror = Mirror.open(mirrorFile());
    mirror.saveSession({ serverUrl: 'ws://x', token: 't', user: me });
    mirror.upsertConversation(direct('c1', 'ann'), 'me');
    const texts = ['mail me@example.com', 'ask @meg', 'no at sign here'];
    mirror.applyEvents(
      'c1',
      texts.map((text, i) => message('c1', i + 1, 'ann', text)),
      'me',
    );
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ unreadCount: 3, mentionsYou: false });
    mirror.applyEvents('c1', [message('c1', 4, 'ann', 'see you @me.')], 'me');
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ unreadCount: 4, mentionsYou: true });
    mirror.markReadLocally('c1', 'me');
    expect(mirror.views.conversationSummaries('me')[0]).toMatchObject({ unreadCount: 0, mentionsYou: false });
    mirror.close();
  });

  it('counts mentions as the batch leaves the texts: an edit may add or take one away, a delete takes it away', () => {
    const mirror = Mirror.open(mirrorFile());
    mirror.saveSession({ serverUrl: 'ws://x', token: 't', user: me });
    mirror.upsertConversation(direct('c1', 'ann'), 'me');
    mirror.upsertConversation(direct('c2', 'bob'), 'me');
    const change = (conversationId: string, seq: number, senderId: string, messageId: string, text?: string) => ({
      conversationId,
      seq,
      senderId,
      sentAt: 100 + seq,
      messageId,
      ...(text === undefined
        ? { kind: 'delete' as const, clientChangeId: `d${seq}` }
        : { kind: 'edit' as const, clientChangeId: `e${seq}`, text }),
    });
    mirror.applyEvents(
      'c1',
      [
        message('c1', 1, 'ann', 'hey @me'),
        change('c1', 2, 'ann', 'c1-1', 'never mind'),
        message('c1', 3, 'ann', '@me look'),
        change('c1', 4, 'ann', 'c1-3'),
        message('c1', 5, 'me', 'and @me myself'),
      ],
      'me',
    );
    mirror.applyEvents('c2', [message('c2', 1, 'bob', 'hi'), change('c2', 2, 'bob', 'c2-1', 'hi @me')], 'me');
    const summaries = mirror.views.conversationSummaries('me');
    expect(summaries.find((c) => c.id === 'c1')).toMatchObject({ unreadCount: 2, mentionsYou: false });
    expect(summaries.find((c) => c.id === 'c2')).toMatchObject({ unreadCount: 1, mentionsYou: true });
    mirror.close();
  });

  it('sees writes made through another connection to the same file', () => {
    const path = mirrorFile();
    const mirror = Mirror.open(path);
    mirror.saveSession({ serverUrl: 'ws://x', token: 't', user: me });
    mirror.upsertConversation(direct('c1', 'ann'), 'me');
    expect(mirror.views.conversationSummaries('me')[0]?.unreadCount).toBe(0);
    const other = new Database(path);
    other.prepare("UPDATE conversations SET unread_count = 7 WHERE id = 'c1'").run();
    other.close();
    expect(mirror.views.conversationSummaries('me')[0]?.unreadCount).toBe(7);
    mirror.close();
  });
});

describe('the conversation list a screen at a time', () => {
  it('gives the first screen without the rest, then each next one, in the order of the whole list', () => {
    const mirror = Mirror.open(mirrorFile());
    mirror.saveSession({ serverUrl: 'ws://x', token: 't', user: me });
    for (let i = 0; i < 25; i++) {
      const id = `c${String(i).padStart(2, '0')}`;
      mirror.upsertConversation(direct(id, `p${i}`, 1), 'me');
      // Two conversations share each moment of activity: ties go by id.
      mirror.applyEvents(id, [{ ...message(id, 1, `p${i}`, `hello ${i}`), sentAt: 1000 + Math.floor(i / 2) }], 'me');
    }
    const whole = mirror.views.conversationSummaries('me').map((summary) => summary.id);
    const screens: string[][] = [];
    let after: { lastActivityAt: number; id: string } | undefined;
    for (;;) {
      const screen = mirror.views.conversationPage('me', 10, after);
      if (screen.length === 0) break;
      screens.push(screen.map((summary) => summary.id));
      const last = screen.at(-1)!;
      after = { lastActivityAt: last.lastActivityAt, id: last.id };
    }
    expect(screens.map((screen) => screen.length)).toEqual([10, 10, 5]);
    expect(screens.flat()).toEqual(whole);
    expect(screens[0]!.slice(0, 3)).toEqual(['c24', 'c22', 'c23']);
    expect(mirror.views.conversationPage('me', 10)[0]).toEqual(mirror.views.conversationSummaries('me')[0]);
    mirror.close();
  });
});
