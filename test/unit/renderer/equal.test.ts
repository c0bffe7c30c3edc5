import { describe, expect, it } from 'vitest';
import type { ConversationSummary, MessageView } from '../../../sync/app-api/contract.js';
import { equal, keep, reuse } from '../../../renderer/state/equal.js';

function message(overrides: Partial<MessageView> = {}): MessageView {
  return {
    id: 'm1',
    conversationId: 'c1',
    seq: 1,
    senderId: 'u1',
    senderName: 'Alice',
    own: false,
    text: 'hi',
    at: 1000,
    status: null,
    error: null,
    edited: false,
    deleted: false,
    replyTo: null,
    reactions: [{ emoji: '👍', count: 1, mine: false }],
    failedChanges: [],
    attachments: [],
    forwardedFrom: null,
    linkPreview: null,
    pinned: false,
    poll: null,
    location: null,
    sticker: null,
    expiresInMs: null,
    expiresAt: null,
    ...overrides,
  };
}

describe('equal', () => {
  it('compares primitives by value (NaN equals NaN)', () => {
    expect(equal(1, 1)).toBe(true);
    expect(equal('a', 'a')).toBe(true);
    expect(equal(Number.NaN, Number.NaN)).toBe(true);
    expect(equal(1, '1')).toBe(false);
    expect(equal(null, undefined)).toBe(false);
    expect(equal(null, {})).toBe(false);
    expect(equal(0, null)).toBe(false);
  });

  it('compares arrays item by item and in order', () => {
    expect(equal([1, [2, 3]], [1, [2, 3]])).toBe(true);
    expect(equal([1, 2], [2, 1])).toBe(false);
    expect(equal([1, 2], [1, 2, 3])).toBe(false);
    expect(equal([], {})).toBe(false);
    expect(equal({ length: 0 }, [])).toBe(false);
  });

  it('compares objects field by field at every depth', () => {
    expect(equal(message(), message())).toBe(true);
    expect(equal(message(), message({ text: 'hello' }))).toBe(false);
    expect(equal(message(), message({ reactions: [{ emoji: '👍', count: 2, mine: false }] }))).toBe(false);
    expect(
      equal(
        message({
          replyTo: {
            messageId: 'm0',
            available: true,
            senderId: 'u2',
            senderName: 'Bob',
            text: 'q',
            deleted: false,
            disappeared: false,
          },
        }),
        message({
          replyTo: {
            messageId: 'm0',
            available: true,
            senderId: 'u2',
            senderName: 'Bob',
            text: 'q',
            deleted: true,
            disappeared: false,
          },
        }),
      ),
    ).toBe(false);
  });

  it('notices a field nobody listed: a new field on a view takes part in the comparison', () => {
    const before = message();
    // A later version of the contract adds a field: differing only there is a difference.
    const withField = { ...message(), addedLater: true } as MessageView;
    const withOtherValue = { ...message(), addedLater: false } as MessageView;
    expect(equal(before, withField)).toBe(false);
    expect(equal(withField, withOtherValue)).toBe(false);
    expect(equal(withField, { ...withField })).toBe(true);
  });

  it('tells a missing field from one set to undefined', () => {
    expect(equal({ a: undefined }, {})).toBe(false);
    expect(equal({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
  });

  it('compares the summaries of groups and direct conversations (peer may be null)', () => {
    const group: ConversationSummary = {
      id: 'g',
      kind: 'group',
      title: 'Trip',
      peer: null,
      memberCount: 3,
      isMember: true,
      lastMessage: { text: 'hi', own: false, at: 1, deleted: false, senderName: 'Alice' },
      unreadCount: 1,
      mentionsYou: false,
      lastActivityAt: 1,
      archived: false,
      muted: false,
      draft: null,
      blocked: false,
      request: false,
      requestFromName: null,
      disappearingTimerMs: null,
    };
    expect(equal(group, { ...group })).toBe(true);
    expect(equal(group, { ...group, mentionsYou: true })).toBe(false);
    expect(equal(group, { ...group, lastMessage: { ...group.lastMessage!, senderName: 'Bob' } })).toBe(false);
  });
});

describe('keep and reuse', () => {
  it('keep returns the previous object when nothing changed', () => {
    const previous = message();
    expect(keep(previous, message())).toBe(previous);
    const next = message({ text: 'new' });
    expect(keep(previous, next)).toBe(next);
  });

  it('reuse keeps the objects of unchanged items and takes the changed ones', () => {
    const a = message({ id: 'a' });
    const b = message({ id: 'b' });
    const c = message({ id: 'c' });
    const changedB = message({ id: 'b', text: 'edited', edited: true });
    const result = reuse([a, b, c], [message({ id: 'a' }), changedB, message({ id: 'c' }), message({ id: 'd' })], (m) => m.id);
    expect(result[0]).toBe(a);
    expect(result[1]).toBe(changedB);
    expect(result[2]).toBe(c);
    expect(result[3]!.id).toBe('d');
  });

  it('reuse returns the previous list itself when nothing changed, and a new one when the order did', () => {
    const list = [message({ id: 'a' }), message({ id: 'b' })];
    expect(reuse(list, [message({ id: 'a' }), message({ id: 'b' })], (m) => m.id)).toBe(list);
    const swapped = reuse(list, [message({ id: 'b' }), message({ id: 'a' })], (m) => m.id);
    expect(swapped).not.toBe(list);
    expect(swapped[0]).toBe(list[1]);
    expect(swapped[1]).toBe(list[0]);
    expect(reuse(list, [message({ id: 'a' })], (m) => m.id)).toEqual([list[0]]);
  });
});
