import { describe, expect, it } from 'vitest';
import { POLL_ENDED, REDIRECT_REFUSED } from '../../../sync/app-api/core-refusals.js';
import { REFUSAL_REASONS } from '../../../sync/protocol/refusal-reasons.js';
import { noticeText, typingText } from '../../../renderer/format/notices.js';
import { en } from '../../../renderer/i18n/en.js';
import { insertMention, mentionAt, mentionCandidates, splitMentions } from '../../../renderer/state/mentions.js';
import { describeRefusal } from '../../../renderer/state/errors.js';
import { timeline } from '../../../renderer/state/timeline.js';
import { alice, bob, carol, message, notice } from './fake-api.js';

const dave = { id: 'u-dave', username: 'dave', displayName: 'Dave Doe' };

describe('membership notices', () => {
  it('name people by display name', () => {
    expect(noticeText(notice({ seq: 1, kind: 'members_added', actor: alice, subjects: [carol] }))).toBe(
      'Alice Liddell added Carol Chen',
    );
    expect(noticeText(notice({ seq: 1, kind: 'members_added', actor: alice, subjects: [carol, dave] }))).toBe(
      'Alice Liddell added Carol Chen and Dave Doe',
    );
    expect(noticeText(notice({ seq: 1, kind: 'member_left', actor: carol, subjects: [] }))).toBe('Carol Chen left');
    expect(noticeText(notice({ seq: 1, kind: 'member_removed', actor: alice, subjects: [dave] }))).toBe(
      'Alice Liddell removed Dave Doe',
    );
    expect(noticeText(notice({ seq: 1, kind: 'group_renamed', actor: alice, subjects: [], name: 'Trip' }))).toBe(
      'Alice Liddell renamed the group to Trip',
    );
    expect(noticeText(notice({ seq: 1, kind: 'group_created', actor: alice, subjects: [bob], name: 'Trip' }))).toBe(
      'Alice Liddell created the group “Trip”',
    );
    expect(noticeText(notice({ seq: 1, kind: 'role_changed', actor: alice, subjects: [bob], role: 'admin' }))).toBe(
      'Alice Liddell made Bob Brown an admin',
    );
    expect(noticeText(notice({ seq: 1, kind: 'role_changed', actor: alice, subjects: [bob], role: 'member' }))).toContain(
      'Bob Brown is no longer an admin',
    );
  });

  it('say who became owner when the owner left', () => {
    const text = noticeText(notice({ seq: 1, kind: 'member_left', actor: alice, subjects: [bob] }));
    expect(text).toContain('Alice Liddell left');
    expect(text).toContain('Bob Brown is now the owner');
  });
});

describe('typing line', () => {
  it('names one or two people and counts more', () => {
    expect(typingText([], true)).toBe('');
    expect(typingText([alice], true)).toMatch(/^Alice is typing/);
    expect(typingText([alice, bob], true)).toMatch(/^Alice and Bob are typing/);
    expect(typingText([alice, bob, carol], true)).toMatch(/^3 people are typing/);
    // A direct conversation names the other person as its header does.
    expect(typingText([alice], false)).toMatch(/^Alice Liddell is typing/);
  });
});

describe('refusal reasons', () => {
  it('has words for every reason code, and never shows anything else as it is', () => {
    for (const reason of REFUSAL_REASONS) {
      const words = describeRefusal(reason);
      expect(words).toBe(en.refusals[reason]);
      expect(words).not.toContain('_');
    }
    expect(describeRefusal('the server is on fire')).toBe(en.errors.refused);
    expect(describeRefusal('server_on_fire')).toBe('The server refused it (server_on_fire).');
  });

  it('says why a sign-in answered with a redirect was refused, in words', () => {
    expect(describeRefusal(REDIRECT_REFUSED)).toBe(en.errors.redirectRefused);
  });

  it('says a vote on an ended poll was refused because the poll has ended', () => {
    expect(describeRefusal(POLL_ENDED)).toBe(en.errors.pollEnded);
  });

  it('says "no longer a member" for a conversation not found in a group you left', () => {
    expect(describeRefusal('conversation_not_found', { leftGroup: true })).toBe('You are no longer a member of this group');
    expect(describeRefusal('conversation_not_found')).not.toBe('You are no longer a member of this group');
  });
});

describe('mentions', () => {
  it('find the @name being typed before the caret', () => {
    expect(mentionAt('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionAt('mail me at x@bo', 15)).toBeNull();
    expect(mentionAt('hi @bob and', 11)).toBeNull();
  });

  it('offer members by username or a word of their name', () => {
    expect(mentionCandidates([alice, bob, carol], 'b').map((u) => u.id)).toEqual([bob.id]);
    expect(mentionCandidates([alice, bob, carol], 'chen').map((u) => u.id)).toEqual([carol.id]);
    expect(mentionCandidates([alice, bob, carol], '')).toHaveLength(3);
  });

  it('insert "@username " in place of what was typed', () => {
    expect(insertMention('hi @bo', { start: 3, query: 'bo' }, 6, bob)).toEqual({ text: 'hi @bob ', caret: 8 });
    expect(insertMention('@c, see', { start: 0, query: 'c' }, 2, carol)).toEqual({ text: '@carol , see', caret: 7 });
  });

  it('split text around mentions of one username only', () => {
    expect(splitMentions('hey @bob, and @bobby and @Bob.', 'bob')).toEqual(['hey ', '@bob', ', and @bobby and ', '@Bob', '.']);
    expect(splitMentions('write to x@bob', 'bob')).toEqual(['write to x@bob']);
    expect(splitMentions('@a.b hi', 'a.b')).toEqual(['', '@a.b', ' hi']);
    expect(splitMentions('@axb hi', 'a.b')).toEqual(['@axb hi']);
    expect(splitMentions('hi', null)).toEqual(['hi']);
  });
});

describe('timeline', () => {
  it('merges notices into messages by seq and keeps unsent messages last', () => {
    const entries = timeline(
      [message({ id: 'a', seq: 2 }), message({ id: 'b', seq: 5 }), message({ id: 'unsent', seq: null })],
      [notice({ seq: 1 }), notice({ seq: 3 }), notice({ seq: 7 })],
    );
    expect(entries.map((e) => (e.kind === 'message' ? e.message.id : `n${e.notice.seq}`))).toEqual([
      'n1',
      'a',
      'n3',
      'b',
      'n7',
      'unsent',
    ]);
  });
});
