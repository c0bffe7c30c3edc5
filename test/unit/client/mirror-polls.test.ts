/**
 * Polls in the mirror (mirror/message-state.ts): votes held for a poll that has not arrived yet,
 * and what is read back from disk checked, so a damaged row is never counted or sent as something
 * else.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Composer } from '../../../sync/client/composer.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import type { AppliedEvent } from '../../../sync/content/opened-events.js';
import { realRuntime } from '../../../sync/node/real-runtime.js';
import { addMeAndAnn, createTempMirrorPaths } from '../../support/test-mirror.js';

const paths = createTempMirrorPaths('mirror-polls-');
afterEach(() => paths.cleanup());

const POLL = { options: ['Lake', 'Hills', 'Sea'], multiple: false };

const base = (seq: number, senderId: string) => ({ conversationId: 'c1', seq, senderId, sentAt: 1000 + seq });
const poll = (seq: number): AppliedEvent => ({
  kind: 'message',
  ...base(seq, 'ann'),
  clientMessageId: 'p1',
  text: 'Where to?',
  replyTo: null,
  deleted: false,
  attachments: [],
  poll: POLL,
});
const vote = (seq: number, senderId: string, choices: number[]): AppliedEvent => ({
  kind: 'message_state',
  ...base(seq, senderId),
  clientChangeId: `v${seq}`,
  messageId: 'p1',
  state: { kind: 'poll_vote', messageId: 'p1', choices },
});

function open() {
  const path = paths.path();
  const mirror = Mirror.open(path);
  addMeAndAnn(mirror);
  return { mirror, path };
}

const counts = (mirror: Mirror) =>
  mirror.views.messageView('c1', 'p1', 'me')?.poll?.options.map((option) => option.voters.map((voter) => voter.id));

describe('polls in the mirror', () => {
  it('holds a vote that arrives ahead of its poll, judges it when the poll comes, and counts a person’s latest', () => {
    const { mirror } = open();
    // Our own vote acknowledged ahead of a catch-up (out of order): nothing to count it on yet.
    mirror.acknowledgeAll([vote(3, 'me', [0])], 'me');
    expect(mirror.views.messageView('c1', 'p1', 'me')).toBeNull();
    mirror.applyEvents('c1', [poll(1), vote(2, 'ann', [2]), vote(3, 'me', [0]), vote(4, 'ann', [1])], 'me');
    expect(counts(mirror)).toEqual([['me'], ['ann'], []]);
    // The conversation list knows its newest message is a poll (it shows its question as one).
    expect(mirror.views.conversationSummaries('me')[0]?.lastMessage).toMatchObject({ text: 'Where to?', poll: true });
    const plain: AppliedEvent = {
      kind: 'message',
      ...base(5, 'ann'),
      clientMessageId: 'plain',
      text: 'after',
      replyTo: null,
      deleted: false,
      attachments: [],
    };
    mirror.applyEvents('c1', [plain], 'me');
    expect(mirror.views.conversationSummaries('me')[0]?.lastMessage).not.toHaveProperty('poll');
    mirror.close();
  });

  it('counts a damaged vote as none, shows no poll for damaged options, and refuses to send a damaged poll or vote', () => {
    const { mirror, path } = open();
    mirror.applyEvents('c1', [poll(1), vote(2, 'ann', [1]), vote(3, 'me', [0])], 'me');
    const composer = new Composer(mirror, realRuntime(), 'me', () => false);
    const own = composer.sendPoll('c1', 'Lunch?', { options: ['Yes', 'No'], multiple: false });
    composer.vote('c1', 'p1', [2]);
    mirror.close();

    const db = new Database(path);
    db.prepare("UPDATE message_state SET value = '{\"choices\":\"all\"}' WHERE holder_id = 'ann' AND kind = 'poll_vote'").run();
    db.prepare(
      'UPDATE outbox SET payload = \'{"kind":"poll_vote","messageId":"p1","choices":[99]}\' WHERE kind = \'content\'',
    ).run();
    db.close();
    let reopened = Mirror.open(path);
    // Ann's damaged vote counts as none; our queued vote is in the outbox, damaged, and fails by name.
    expect(() => reopened.outbox.pendingIn('c1', 0, 10)).toThrow(/malformed payload/);
    reopened.close();

    const again = new Database(path);
    again.prepare("DELETE FROM outbox WHERE kind = 'content'").run();
    again.prepare('UPDATE message_state SET value = \'{"options":["Only one"],"multiple":false}\' WHERE message_id = ?').run(own);
    again.close();
    reopened = Mirror.open(path);
    expect(counts(reopened)).toEqual([['me'], [], []]);
    expect(reopened.views.messageView('c1', own, 'me')?.poll).toBeNull();
    expect(() => reopened.outbox.pendingIn('c1', 0, 10)).toThrow(/malformed poll options/);
    reopened.close();
  });
});
