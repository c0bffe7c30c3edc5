import { afterEach, describe, expect, it } from 'vitest';
import { createTestMirrors } from '../../support/test-mirror.js';

const mirrors = createTestMirrors();
afterEach(() => mirrors.cleanup());

const file = (name: string) =>
  ({ sha256: 'a'.repeat(64), size: 10, name, mime: 'application/octet-stream', kind: 'file' }) as const;

describe('the outbox as the inspector lists it', () => {
  it('groups rows per conversation (oldest first) in send order, with the message each is about', () => {
    const mirror = mirrors.open();
    mirror.createLocalConversation({
      id: 'g1',
      kind: 'group',
      name: 'Trip',
      members: [{ user: { id: 'me', username: 'me', displayName: 'Me' }, role: 'owner' }],
      create: { kind: 'group', name: 'Trip', memberIds: [] },
      now: 1,
      selfId: 'me',
    });
    mirror.enqueueMessage('c1', 'm1', 'me', 'first', null, 2);
    mirror.enqueueMessage('g1', 'm2', 'me', 'to the group', null, 3);
    mirror.outbox.enqueueChange('c1', 'e1', 'edit', 'm1', { text: 'first, edited' });

    const rows = mirror.outboxInspection.list(10, 160);
    expect(rows.map((row) => [row.entry.conversationId, row.entry.kind, row.messageText])).toEqual([
      ['g1', 'create', null],
      ['g1', 'send', 'to the group'],
      ['c1', 'send', 'first'],
      ['c1', 'edit', 'first'],
    ]);
    expect(mirror.outboxInspection.count()).toBe(4);
    expect(mirror.outboxInspection.list(2, 160)).toHaveLength(2);
    expect(mirror.outboxInspection.list(10, 3).map((row) => row.messageText)).toEqual([null, 'to ', 'fir', 'fir']);
    expect(mirror.outboxInspection.find('e1')).toMatchObject({
      status: 'pending',
      entry: { kind: 'edit', text: 'first, edited' },
    });
    expect(mirror.outboxInspection.find('nothing')).toBeNull();
  });

  it("names a message's files in order, and says whether they are still uploading", () => {
    const mirror = mirrors.open();
    mirror.enqueueMessage('c1', 'm1', 'me', '', null, 2, [file('b.txt'), file('a.txt')]);
    const [row] = mirror.outboxInspection.list(10, 160);
    expect(row).toMatchObject({
      files: [
        { name: 'b.txt', kind: 'file' },
        { name: 'a.txt', kind: 'file' },
      ],
      uploading: true,
    });
    mirror.attachments.uploadDone({ conversationId: 'c1', messageId: 'm1', index: 0 }, 'f0');
    expect(mirror.outboxInspection.list(10, 160)[0]?.uploading).toBe(true);
    mirror.attachments.uploadDone({ conversationId: 'c1', messageId: 'm1', index: 1 }, 'f1');
    expect(mirror.outboxInspection.list(10, 160)[0]?.uploading).toBe(false);
  });
});
