import { describe, expect, it } from 'vitest';
import type { Conversation, Member } from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { withinPageBytes } from '../../../sync/server/handlers/conversation-list.js';
import {
  cutConversationPage,
  type CurrentConversationRow,
  type FormerConversationRow,
} from '../../../sync/server/store/conversation-page.js';

function current(id: string, memberCount: number): CurrentConversationRow {
  return {
    id,
    kind: 'group',
    created_by: 'x',
    last_seq: 1,
    created_at: 1,
    request_from: null,
    member_count: memberCount,
  };
}

function former(id: string): FormerConversationRow {
  return { id, kind: 'group', created_by: 'x', last_seq: 9, created_at: 1, last_visible_seq: 3 };
}

describe('cutting a page of conversations (store)', () => {
  it('takes the candidates of both kinds in id order, up to the limit, and says more follow', () => {
    const cut = cutConversationPage([current('b', 2), current('d', 2)], [former('a'), former('c')], {
      limit: 3,
      maxMembers: 100,
    });
    expect(cut.ids).toEqual(['a', 'b', 'c']);
    expect(cut.current.map((row) => row.id)).toEqual(['b']);
    expect(cut.former.map((row) => row.id)).toEqual(['a', 'c']);
    expect(cut.more).toBe(true);
  });

  it('ends the page before the conversation whose members pass the budget; a former one costs none', () => {
    const cut = cutConversationPage([current('a', 1000), current('b', 1000), current('d', 1000)], [former('c')], {
      limit: 100,
      maxMembers: 2000,
    });
    expect(cut.ids).toEqual(['a', 'b', 'c']);
    expect(cut.more).toBe(true);
  });

  it('always keeps the first conversation, however many members it has', () => {
    const cut = cutConversationPage([current('a', 1000), current('b', 1)], [], { limit: 100, maxMembers: 10 });
    expect(cut.ids).toEqual(['a']);
    expect(cut.more).toBe(true);
  });

  it('says no more follow when every candidate fits', () => {
    expect(cutConversationPage([current('a', 2)], [former('b')], { limit: 2, maxMembers: 4 })).toMatchObject({
      ids: ['a', 'b'],
      more: false,
    });
    expect(cutConversationPage([], [], { limit: 2, maxMembers: 4 })).toMatchObject({ ids: [], more: false });
  });

  it('orders ids by their UTF-8 bytes, as both databases do (not by UTF-16 units)', () => {
    // U+FF5E sorts after U+1F600 in UTF-16 units, before it in UTF-8 bytes and code points.
    const cut = cutConversationPage([current('\u{1F600}', 2)], [former('\uFF5E')], { limit: 10, maxMembers: 100 });
    expect(cut.ids).toEqual(['\uFF5E', '\u{1F600}']);
  });
});

describe('cutting a page of conversations by its frame size (handler)', () => {
  const member = (n: number): Member => ({
    id: `member-${n}`.padEnd(LIMITS.maxIdChars, 'x'),
    username: `user${n}`.padEnd(LIMITS.maxUsernameChars, 'u'),
    // The widest a display name gets in UTF-8: characters of four bytes each.
    displayName: '\u{1F600}'.repeat(LIMITS.maxDisplayNameChars / 2),
    role: 'member',
    deliveredSeq: 1_000_000,
    readSeq: 1_000_000,
  });
  const fullGroup = (id: string): Conversation => ({
    id,
    kind: 'group',
    name: 'G'.repeat(LIMITS.maxGroupNameChars),
    members: Array.from({ length: LIMITS.maxGroupMembers }, (_, n) => member(n)),
    lastSeq: 1,
    createdAt: 1,
    isMember: true,
  });

  it('keeps as many full groups as fit under the page limit, never none, and the frame stays under it', () => {
    const groups = Array.from({ length: 20 }, (_, n) => fullGroup(`g${n}`));
    const kept = withinPageBytes(groups);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(groups.length);
    const frame = { type: 'conversations', rid: 'r'.repeat(LIMITS.maxIdChars), conversations: kept, next: kept.at(-1)!.id };
    expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(LIMITS.maxConversationsPageBytes);
    const oneMore = { ...frame, conversations: groups.slice(0, kept.length + 1) };
    expect(Buffer.byteLength(JSON.stringify(oneMore))).toBeGreaterThan(LIMITS.maxConversationsPageBytes);
  });

  it('keeps a whole small page as it is', () => {
    const small = [fullGroup('a'), { ...fullGroup('b'), members: [] }];
    expect(withinPageBytes(small)).toEqual(small);
  });
});
