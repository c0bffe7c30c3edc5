/** Whether a new message earns a native notification, and what it says. */
import { describe, expect, it } from 'vitest';
import { DESKTOP_STRINGS } from '../../../main/common/desktop-strings.js';
import {
  decideNotification,
  escapeNotificationMarkup,
  MAX_NOTIFICATION_BODY,
  type NotificationFacts,
} from '../../../main/common/notification-decision.js';
import type { AttachmentView } from '../../../sync/app-api/contract.js';

function facts(
  overrides: Partial<NotificationFacts> = {},
  message: Partial<NotificationFacts['message']> = {},
): NotificationFacts {
  return {
    windowFocused: false,
    conversation: { kind: 'direct', title: 'Ann', muted: false, request: false },
    message: {
      own: false,
      deleted: false,
      seq: 7,
      senderId: 'u-ann',
      senderName: 'Ann',
      text: 'Are you coming?',
      attachments: [],
      ...message,
    },
    readSeq: 6,
    blockedUserIds: new Set(),
    previews: true,
    strings: DESKTOP_STRINGS.en,
    ...overrides,
  };
}

function attachment(kind: AttachmentView['kind'], name: string): AttachmentView {
  return {
    index: 0,
    name,
    sha256: 'a'.repeat(64),
    size: 1,
    mime: 'application/octet-stream',
    kind,
    width: null,
    height: null,
    preview: null,
    durationMs: null,
    localUrl: null,
    transfer: null,
  };
}

describe('decideNotification', () => {
  it('shows who wrote and the text while the window is not focused', () => {
    expect(decideNotification(facts())).toEqual({ title: 'Ann', body: 'Are you coming?' });
  });

  it('shows nothing while the window is focused', () => {
    expect(decideNotification(facts({ windowFocused: true }))).toBeNull();
  });

  it('shows nothing for a muted conversation', () => {
    expect(decideNotification(facts({ conversation: { kind: 'direct', title: 'Ann', muted: true, request: false } }))).toBeNull();
  });

  it('shows nothing for a message request until it is accepted', () => {
    expect(decideNotification(facts({ conversation: { kind: 'direct', title: 'Ann', muted: false, request: true } }))).toBeNull();
  });

  it('shows who wrote but not the text with previews off', () => {
    expect(decideNotification(facts({ previews: false }))).toEqual({ title: 'Ann', body: 'New message' });
    expect(decideNotification(facts({ previews: false, strings: DESKTOP_STRINGS.ru }))).toEqual({
      title: 'Ann',
      body: 'Новое сообщение',
    });
  });

  it('shows nothing for your own message, a blocked sender’s, a deleted one, or one already read', () => {
    expect(decideNotification(facts({}, { own: true }))).toBeNull();
    expect(decideNotification(facts({ blockedUserIds: new Set(['u-ann']) }))).toBeNull();
    expect(decideNotification(facts({}, { deleted: true, text: '' }))).toBeNull();
    expect(decideNotification(facts({ readSeq: 7 }))).toBeNull();
  });

  it('names the group after the sender', () => {
    const group = facts({ conversation: { kind: 'group', title: 'Team', muted: false, request: false } });
    expect(decideNotification(group)).toEqual({ title: 'Ann in Team', body: 'Are you coming?' });
    expect(decideNotification({ ...group, strings: DESKTOP_STRINGS.uk })?.title).toBe('Ann у групі «Team»');
  });

  it('puts files in words when there is no text, as the conversation list does', () => {
    const body = (kind: AttachmentView['kind'], name: string) =>
      decideNotification(facts({}, { text: '  ', attachments: [attachment(kind, name)] }))?.body;
    expect(body('image', 'IMG_1.jpg')).toBe('Photo');
    expect(body('voice', 'Voice message.webm')).toBe('Voice message');
    expect(body('file', 'report.pdf')).toBe('report.pdf');
    expect(decideNotification(facts({}, { text: 'See this', attachments: [attachment('image', 'a.png')] }))?.body).toBe(
      'See this',
    );
  });

  it('keeps the text to one line of a bounded length', () => {
    expect(decideNotification(facts({}, { text: 'one\n\ntwo   three' }))?.body).toBe('one two three');
    const long = decideNotification(facts({}, { text: 'я'.repeat(5000) }))!.body;
    expect([...long]).toHaveLength(MAX_NOTIFICATION_BODY);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('escapeNotificationMarkup', () => {
  it('makes markup show as typed', () => {
    expect(escapeNotificationMarkup('<b>hi</b> & <a href="x">')).toBe('&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href="x"&gt;');
    expect(escapeNotificationMarkup('&lt;')).toBe('&amp;lt;');
  });
});
