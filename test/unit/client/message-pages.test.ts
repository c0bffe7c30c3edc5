import { afterEach, describe, expect, it } from 'vitest';
import type { MessagePage } from '../../../sync/app-api/contract.js';
import type { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';
import { createTestMirrors } from '../../support/test-mirror.js';

const mirrors = createTestMirrors();
afterEach(() => mirrors.cleanup());

const message = (seq: number): AppliedEvent => ({
  kind: 'message',
  conversationId: 'c1',
  seq,
  senderId: 'ann',
  clientMessageId: `m${seq}`,
  text: `message ${seq}`,
  sentAt: 1000 + seq,
  replyTo: null,
  deleted: false,
  attachments: [],
});

/** 30 received messages and one own message not sent yet. */
function thirtyAndOneUnsent(): Mirror {
  const mirror = mirrors.open();
  mirror.applyEvents(
    'c1',
    Array.from({ length: 30 }, (_, i) => message(i + 1)),
    'me',
  );
  mirror.enqueueMessage('c1', 'unsent', 'me', 'not sent yet', null, 9000);
  return mirror;
}

const shown = (page: MessagePage) => ({
  ids: page.messages.map((view) => view.id).join(' '),
  hasOlder: page.hasOlder,
  hasNewer: page.hasNewer,
});
const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`).join(' ');

describe('message pages', () => {
  it('the newest page holds the latest messages and the unsent ones; older pages go back by beforeSeq', () => {
    const mirror = thirtyAndOneUnsent();
    expect(shown(mirror.views.messagePage('c1', 'me', 10))).toEqual({
      ids: `${ids(21, 30)} unsent`,
      hasOlder: true,
      hasNewer: false,
    });
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { beforeSeq: 21 }))).toEqual({
      ids: ids(11, 20),
      hasOlder: true,
      hasNewer: true,
    });
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { beforeSeq: 11 }))).toEqual({
      ids: ids(1, 10),
      hasOlder: false,
      hasNewer: true,
    });
    mirror.close();
  });

  it('a page around a message holds it with history on both sides, however far back it is', () => {
    const mirror = thirtyAndOneUnsent();
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { aroundMessageId: 'm15' }))).toEqual({
      ids: ids(10, 19),
      hasOlder: true,
      hasNewer: true,
    });
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { aroundMessageId: 'm3' }))).toEqual({
      ids: ids(1, 7),
      hasOlder: false,
      hasNewer: true,
    });
    // Near the end the page reaches the newest, unsent messages included.
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { aroundMessageId: 'm28' }))).toEqual({
      ids: `${ids(23, 30)} unsent`,
      hasOlder: true,
      hasNewer: false,
    });
    // An unsent message is on the newest page.
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { aroundMessageId: 'unsent' })).ids).toBe(`${ids(21, 30)} unsent`);
    mirror.close();
  });

  it('newer pages go forward by afterSeq up to the newest', () => {
    const mirror = thirtyAndOneUnsent();
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { afterSeq: 9 }))).toEqual({
      ids: ids(10, 19),
      hasOlder: true,
      hasNewer: true,
    });
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { afterSeq: 25 }))).toEqual({
      ids: `${ids(26, 30)} unsent`,
      hasOlder: true,
      hasNewer: false,
    });
    expect(shown(mirror.views.messagePage('c1', 'me', 10, { afterSeq: 0 }))).toEqual({
      ids: ids(1, 10),
      hasOlder: false,
      hasNewer: true,
    });
    mirror.close();
  });

  it('a page around a seq starts the newer half at the first message from that seq on, and tells the read watermark', () => {
    const mirror = thirtyAndOneUnsent();
    mirror.raiseWatermarks('c1', 'me', 30, 12);
    const page = mirror.views.messagePage('c1', 'me', 10, { aroundSeq: 13 });
    expect(shown(page)).toEqual({ ids: ids(8, 17), hasOlder: true, hasNewer: true });
    expect(page.readSeq).toBe(12);
    // Nobody's watermark yet: nothing read.
    expect(mirrors.open().views.messagePage('c1', 'me', 10).readSeq).toBe(0);
    mirror.close();
  });
});

describe('the first unread message and reading up to what was shown', () => {
  it('is the first from someone else past the read watermark (own messages never are), and moves only as far as read', () => {
    const mirror = mirrors.open();
    const from = (seq: number, senderId: string): AppliedEvent => ({ ...message(seq), senderId });
    // Ten of mine, one of Ann's, one of mine between, then two more of Ann's.
    mirror.applyEvents(
      'c1',
      [
        ...Array.from({ length: 10 }, (_, i) => from(i + 1, 'me')),
        from(11, 'ann'),
        from(12, 'me'),
        from(13, 'ann'),
        from(14, 'ann'),
      ],
      'me',
    );
    expect(mirror.views.messagePage('c1', 'me', 5)).toMatchObject({ readSeq: 0, firstUnreadSeq: 11 });

    // Shown up to my message between: Ann's first is read, the next of hers is now the first unread.
    mirror.markReadLocally('c1', 'me', 12);
    expect(mirror.views.messagePage('c1', 'me', 5)).toMatchObject({ readSeq: 12, firstUnreadSeq: 13 });
    // Never past what this device holds.
    mirror.markReadLocally('c1', 'me', 99);
    expect(mirror.views.messagePage('c1', 'me', 5)).toMatchObject({ readSeq: 14, firstUnreadSeq: null });
    mirror.close();
  });
});
