/**
 * Polls' rules and counts (issue 33): what a poll may be, which votes and ends every receiving
 * device takes, and that the tallies come out the same whatever order the votes arrive in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeContent } from '../../../sync/content/content.js';
import { refuseContent, type ChangeTarget, type ContentSender } from '../../../sync/content/rules.js';
import { tallyPoll, type Ballot, type PollDefinition } from '../../../sync/common/polls.js';

const bytes = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
const single: PollDefinition = { options: ['Lake', 'Hills', 'Sea'], multiple: false };
const several: PollDefinition = { ...single, multiple: true };
const ann: ContentSender = { id: 'ann', role: 'member', conversationKind: 'group' };
const ben: ContentSender = { ...ann, id: 'ben' };
const annsPoll: ChangeTarget = { authorId: 'ann', deleted: false, senderEmojis: new Set(), poll: single };

describe('a poll as content', () => {
  it('is a message whose text is the question, with 2 to 12 different options and no files', () => {
    const poll = (fields: object) => bytes({ kind: 'message', text: 'Where to?', poll: single, ...fields });
    expect(decodeContent(poll({}))).toMatchObject({ poll: single });
    expect(() => decodeContent(poll({ poll: { options: ['Only'], multiple: false } }))).toThrow();
    const thirteen = Array.from({ length: 13 }, (_, i) => `Option ${i}`);
    expect(() => decodeContent(poll({ poll: { options: thirteen, multiple: false } }))).toThrow();
    expect(() => decodeContent(poll({ poll: { options: ['Lake', 'lake'], multiple: false } }))).toThrow();
    expect(() => decodeContent(poll({ poll: { options: ['Lake', '   '], multiple: false } }))).toThrow();
    expect(() => decodeContent(poll({ text: 'x'.repeat(301) }))).toThrow();
    const file = { id: 'a'.repeat(32), sha256: 'b'.repeat(64), size: 100, key: Buffer.alloc(32).toString('base64') };
    expect(() => decodeContent(poll({ attachments: [{ ...file, name: 'a.txt', mime: 'text/plain', kind: 'file' }] }))).toThrow();
  });

  it('takes a vote of options the poll has (one unless it allows several), from anyone, and an end only from its author', () => {
    const vote = (choices: number[]) => ({ kind: 'poll_vote', messageId: 'm1', choices }) as const;
    expect(refuseContent(vote([2]), ben, annsPoll)).toBeNull();
    expect(refuseContent(vote([]), ben, annsPoll)).toBeNull();
    expect(refuseContent(vote([0, 1]), ben, annsPoll)).toBe('not_allowed');
    expect(refuseContent(vote([0, 1]), ben, { ...annsPoll, poll: several })).toBeNull();
    expect(refuseContent(vote([3]), ben, annsPoll)).toBe('not_allowed');
    expect(refuseContent(vote([0]), ben, { ...annsPoll, poll: null })).toBe('not_allowed');
    expect(refuseContent(vote([0]), ben, { ...annsPoll, deleted: true })).toBe('message_deleted');
    expect(refuseContent(vote([0]), ben, null)).toBe('no_such_message');
    // A vote naming no option the poll has never parses as content at all.
    expect(() => decodeContent(bytes({ kind: 'poll_vote', messageId: 'm1', choices: [12] }))).toThrow();
    expect(() => decodeContent(bytes({ kind: 'poll_vote', messageId: 'm1', choices: [1, 1] }))).toThrow();

    const end = { kind: 'poll_end', messageId: 'm1' } as const;
    expect(refuseContent(end, ann, annsPoll)).toBeNull();
    expect(refuseContent(end, { ...ben, role: 'owner' }, annsPoll)).toBe('not_author');
    expect(refuseContent(end, ann, { ...annsPoll, poll: null })).toBe('not_allowed');
  });

  it('keeps a poll’s question as it was asked: its author cannot edit it', () => {
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'Where not to?' }, ann, annsPoll)).toBe('not_allowed');
    expect(refuseContent({ kind: 'edit', messageId: 'm1', text: 'fixed' }, ann, { ...annsPoll, poll: null })).toBeNull();
  });
});

describe('counting a poll', () => {
  it('counts each person’s latest vote before the end, once however many options they chose', () => {
    const ballots: Ballot[] = [
      { voterId: 'ann', choices: [0], seq: 3 },
      { voterId: 'ben', choices: [1], seq: 4 },
      { voterId: 'ann', choices: [2], seq: 6 },
      { voterId: 'cat', choices: [0, 2], seq: 7 },
      { voterId: 'ben', choices: [], seq: 9 },
      // After the end (seq 10): not counted, whatever it says.
      { voterId: 'dan', choices: [0], seq: 11 },
      { voterId: 'cat', choices: [1], seq: 12 },
    ];
    expect(tallyPoll(several, ballots, 10)).toEqual({ voters: [['cat'], [], ['ann', 'cat']], people: 2 });
    expect(tallyPoll(several, ballots, null)).toEqual({ voters: [['dan'], ['cat'], ['ann']], people: 3 });
    // A single-choice poll counts no vote for several (a device would have refused it).
    expect(tallyPoll(single, ballots, 10)).toEqual({ voters: [[], [], ['ann']], people: 1 });
  });

  it('comes out the same whatever order the votes and the end arrive in', () => {
    const ballot = fc.record({
      voterId: fc.constantFrom('ann', 'ben', 'cat', 'dan'),
      choices: fc.uniqueArray(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(ballot, { maxLength: 20 }).chain((list) => {
          const inSeqOrder = list.map((entry, index): Ballot => ({ ...entry, seq: index + 1 }));
          const all = { minLength: list.length, maxLength: list.length };
          return fc.tuple(fc.constant(inSeqOrder), fc.shuffledSubarray(inSeqOrder, all));
        }),
        fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
        fc.boolean(),
        ([inSeqOrder, arrived], endSeq, multiple) => {
          const poll = { ...single, multiple };
          expect(tallyPoll(poll, arrived, endSeq)).toEqual(tallyPoll(poll, inSeqOrder, endSeq));
        },
      ),
    );
  });
});
