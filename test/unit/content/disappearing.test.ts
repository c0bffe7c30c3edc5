/**
 * The rules every receiving device applies to disappearing-message content (content/disappearing.ts),
 * and what the schemas let through: only the timers a person can choose.
 */
import { describe, expect, it } from 'vitest';
import { contentSchema } from '../../../sync/content/content.js';
import { refuseContent, type ContentSender } from '../../../sync/content/rules.js';
import { DISAPPEARING_TIMERS_MS } from '../../../sync/protocol/disappearing.js';

const WEEK = 7 * 24 * 60 * 60 * 1000;
const timer = (timerMs: number | null) => ({ kind: 'disappearing_timer' as const, timerMs });
const policy = (everyone: boolean) => ({ kind: 'disappearing_policy' as const, everyone });
const sender = (
  role: ContentSender['role'],
  conversationKind: ContentSender['conversationKind'],
  everyoneMaySetTimer?: boolean,
) => ({
  id: 'x',
  role,
  conversationKind,
  ...(everyoneMaySetTimer === undefined ? {} : { everyoneMaySetTimer }),
});

describe('disappearing-message content', () => {
  it('lets either person of a direct conversation set or turn off the timer', () => {
    expect(refuseContent(timer(WEEK), sender('member', 'direct'), null)).toBeNull();
    expect(refuseContent(timer(null), sender('member', 'direct'), null)).toBeNull();
  });

  it('lets a group’s owner and admins set it, and a member only when the group lets everyone', () => {
    expect(refuseContent(timer(WEEK), sender('owner', 'group'), null)).toBeNull();
    expect(refuseContent(timer(WEEK), sender('admin', 'group'), null)).toBeNull();
    expect(refuseContent(timer(WEEK), sender('member', 'group'), null)).toBe('not_allowed');
    expect(refuseContent(timer(WEEK), sender('member', 'group', false), null)).toBe('not_allowed');
    expect(refuseContent(timer(WEEK), sender('member', 'group', true), null)).toBeNull();
  });

  it('lets only a group’s owner and admins choose who may set it, and nobody in a direct conversation', () => {
    expect(refuseContent(policy(true), sender('owner', 'group'), null)).toBeNull();
    expect(refuseContent(policy(false), sender('admin', 'group'), null)).toBeNull();
    expect(refuseContent(policy(true), sender('member', 'group', true), null)).toBe('not_allowed');
    expect(refuseContent(policy(true), sender('member', 'direct'), null)).toBe('not_allowed');
  });

  it('takes only the timers a person can choose, in a timer and in a message', () => {
    for (const ms of DISAPPEARING_TIMERS_MS) expect(contentSchema.safeParse(timer(ms)).success).toBe(true);
    for (const ms of [0, 1, 29_999, 12_345, -30_000, 30_000.5]) {
      expect(contentSchema.safeParse(timer(ms)).success).toBe(false);
      expect(contentSchema.safeParse({ kind: 'message', text: 'hi', expiresInMs: ms }).success).toBe(false);
    }
    expect(contentSchema.safeParse({ kind: 'message', text: 'hi', expiresInMs: 30_000 }).success).toBe(true);
  });
});
