import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageView } from '../../../sync/app-api/contract.js';
import type { PollView } from '../../../sync/app-api/polls-api.js';
import { pollRadioKey } from '../../../renderer/components/keys.js';
import { en } from '../../../renderer/i18n/en.js';
import { setLanguage, t } from '../../../renderer/i18n/index.js';
import { patches } from '../../../renderer/state/optimistic.js';
import { mayAddOption, pollToSend, repeatedOptions } from '../../../renderer/state/poll-draft.js';
import { choicesAfter } from '../../../renderer/state/polls.js';
import type { AppStore } from '../../../renderer/state/store.js';
import { alice, bob, carol, FakeApi, message, settle, storesOnFakes, summary } from './fake-api.js';
import { bubbleMarkup, markup } from './markup.js';

const { start } = storesOnFakes();

function poll(overrides: Partial<PollView> = {}): PollView {
  return {
    options: [
      { text: 'Pizza', voters: [] },
      { text: 'Sushi', voters: [] },
      { text: 'Salad', voters: [] },
    ],
    multiple: false,
    ended: false,
    people: 0,
    mine: [],
    pending: false,
    ...overrides,
  };
}

/** Bob's poll "Lunch?" in the conversation c1, open in the store. */
async function openPoll(overrides: Partial<PollView> = {}, from: Partial<MessageView> = {}) {
  const api = new FakeApi();
  api.conversations = [summary({ id: 'c1' })];
  api.histories.set('c1', {
    messages: [message({ id: 'p1', conversationId: 'c1', seq: 1, text: 'Lunch?', poll: poll(overrides), ...from })],
    readSeq: 1,
  });
  const store = await start(api);
  store.getState().actions.openConversation('c1');
  await settle();
  const shown = () => store.getState().open!.messages.find((m) => m.id === 'p1')!.poll!;
  return { api, store, shown };
}

const names = (view: PollView) => view.options.map((option) => option.voters.map((voter) => voter.name));

describe('the New poll dialog’s rules', () => {
  it('offers Send only for a question and two different options, leaving blank ones out', () => {
    expect(pollToSend({ question: '', options: ['Pizza', 'Sushi'], multiple: false })).toBeNull();
    expect(pollToSend({ question: '   ', options: ['Pizza', 'Sushi'], multiple: false })).toBeNull();
    expect(pollToSend({ question: 'Lunch?', options: ['Pizza', ''], multiple: false })).toBeNull();
    expect(pollToSend({ question: 'Lunch?', options: ['Pizza', ' ', 'Sushi', ''], multiple: true })).toEqual({
      question: 'Lunch?',
      options: ['Pizza', 'Sushi'],
      multiple: true,
    });
    expect(pollToSend({ question: ' Lunch? ', options: [' Pizza', 'Sushi '], multiple: false })).toEqual({
      question: 'Lunch?',
      options: ['Pizza', 'Sushi'],
      multiple: false,
    });
  });

  it('refuses options that repeat another in any case, and names which', () => {
    expect(pollToSend({ question: 'Lunch?', options: ['Pizza', 'pizza '], multiple: false })).toBeNull();
    expect([...repeatedOptions(['Pizza', 'Sushi', ' PIZZA', '', ''])]).toEqual([2]);
    expect(repeatedOptions(['Pizza', 'Sushi', '', ''])).toEqual(new Set());
  });

  it('takes up to 12 options of up to 100 characters', () => {
    const twelve = Array.from({ length: 12 }, (_, i) => `Option ${i + 1}`);
    expect(pollToSend({ question: 'Q', options: twelve, multiple: false })?.options).toHaveLength(12);
    expect(pollToSend({ question: 'Q', options: [...twelve, 'Thirteen'], multiple: false })).toBeNull();
    expect(mayAddOption(11)).toBe(true);
    expect(mayAddOption(12)).toBe(false);
    expect(pollToSend({ question: 'Q', options: ['x'.repeat(100), 'y'], multiple: false })).not.toBeNull();
    expect(pollToSend({ question: 'Q', options: ['x'.repeat(101), 'y'], multiple: false })).toBeNull();
    expect(pollToSend({ question: 'q'.repeat(301), options: ['x', 'y'], multiple: false })).toBeNull();
  });
});

describe('choosing an option', () => {
  it('votes for that one option when one answer is allowed', () => {
    expect(choicesAfter({ multiple: false, mine: [0] }, 2, true)).toEqual([2]);
  });

  it('adds it to or takes it from this person’s choices when several are allowed', () => {
    expect(choicesAfter({ multiple: true, mine: [2] }, 0, true)).toEqual([0, 2]);
    expect(choicesAfter({ multiple: true, mine: [0, 2] }, 2, false)).toEqual([0]);
    expect(choicesAfter({ multiple: true, mine: [0] }, 0, false)).toEqual([]);
  });
});

describe('a vote before the core confirms it', () => {
  const me = { id: alice.id, name: alice.displayName };
  const lunch = message({
    id: 'p1',
    poll: poll({
      options: [
        { text: 'Pizza', voters: [{ id: bob.id, name: bob.displayName }] },
        { text: 'Sushi', voters: [] },
      ],
      people: 1,
    }),
  });

  it('moves this person among the voters and counts them once, however often it is laid over', () => {
    const once = patches.vote([1], me)(lunch);
    expect(once.poll).toMatchObject({ mine: [1], people: 2, pending: true });
    expect(names(once.poll!)).toEqual([[bob.displayName], [alice.displayName]]);
    expect(patches.vote([1], me)(once)).toBe(once);
    const moved = patches.vote([0], me)(once);
    expect(names(moved.poll!)).toEqual([[bob.displayName, alice.displayName], []]);
    expect(patches.vote([], me)(moved).poll).toMatchObject({ mine: [], people: 1 });
  });

  it('leaves a message that is no poll, and an ended poll’s end, as they are', () => {
    const text = message({ id: 'm1' });
    expect(patches.vote([0], me)(text)).toBe(text);
    const ended = patches.endPoll()(lunch);
    expect(ended.poll).toMatchObject({ ended: true, pending: true });
    expect(patches.endPoll()(ended)).toBe(ended);
  });
});

describe('poll words', () => {
  afterEach(() => setLanguage('en'));

  it('count votes and voters in each language’s plural forms', () => {
    expect([0, 1, 2].map((n) => t.polls.votes(n))).toEqual(['0 votes', '1 vote', '2 votes']);
    expect([0, 1, 3].map((n) => t.polls.voted(n))).toEqual(['No votes yet', '1 person voted', '3 people voted']);
    setLanguage('ru');
    expect([1, 2, 5, 21].map((n) => t.polls.votes(n))).toEqual(['1 голос', '2 голоса', '5 голосов', '21 голос']);
    expect(t.polls.voted(3)).toBe('3 человека проголосовали');
    setLanguage('uk');
    expect([1, 2, 5].map((n) => t.polls.votes(n))).toEqual(['1 голос', '2 голоси', '5 голосів']);
    expect(t.polls.voted(5)).toBe('5 людей проголосували');
  });
});

describe('polls in the store', () => {
  it('sends a poll in the open conversation: it shows at once, then as the core lists it', async () => {
    const api = new FakeApi();
    api.conversations = [summary({ id: 'c1' })];
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();

    const sent = await store.getState().actions.sendPoll('c1', 'Lunch?', ['Pizza', 'Sushi'], true);
    expect(api.callsOf('sendPoll')).toEqual([
      { conversationId: 'c1', question: 'Lunch?', options: ['Pizza', 'Sushi'], multiple: true },
    ]);
    expect(store.getState().open?.messages.at(-1)).toMatchObject({ id: sent.id, text: 'Lunch?', status: 'sending' });
    expect(store.getState().open?.messages.at(-1)?.poll).toMatchObject({ multiple: true, pending: true, people: 0 });

    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(store.getState().open?.messages).toHaveLength(1);
    expect(store.getState().open?.messages[0]).toMatchObject({ id: sent.id, status: 'sent', poll: { pending: false } });
  });

  it('sends a poll to the conversation its dialog belongs to, even when another was opened meanwhile', async () => {
    const api = new FakeApi();
    api.conversations = [summary({ id: 'c1' }), summary({ id: 'c2' })];
    const store = await start(api);
    store.getState().actions.openConversation('c2');
    await settle();
    await store.getState().actions.sendPoll('c1', 'Lunch?', ['Pizza', 'Sushi'], false);
    expect(api.callsOf('sendPoll')).toMatchObject([{ conversationId: 'c1' }]);
    expect(store.getState().open?.messages).toEqual([]);
  });

  it('shows a vote at once, counted once, then the core’s count', async () => {
    const { api, store, shown } = await openPoll();
    const held = api.hold('votePoll');
    const voting = store.getState().actions.votePoll('p1', [1]);
    expect(shown()).toMatchObject({ mine: [1], people: 1, pending: true });
    expect(names(shown())).toEqual([[], [alice.displayName], []]);

    held.release();
    await voting;
    expect(api.callsOf('votePoll')).toEqual([{ conversationId: 'c1', messageId: 'p1', choices: [1] }]);
    expect(shown()).toMatchObject({ mine: [1], people: 1, pending: false });
  });

  it('moves a single-choice vote to the option chosen next, and withdraws it', async () => {
    const { store, shown } = await openPoll();
    await store.getState().actions.votePoll('p1', [0]);
    await store.getState().actions.votePoll('p1', [2]);
    expect(names(shown())).toEqual([[], [], [alice.displayName]]);
    expect(shown()).toMatchObject({ mine: [2], people: 1 });

    await store.getState().actions.votePoll('p1', []);
    expect(names(shown())).toEqual([[], [], []]);
    expect(shown()).toMatchObject({ mine: [], people: 0 });
  });

  it('counts a person who chose several options once', async () => {
    const { api, store, shown } = await openPoll({ multiple: true });
    await store.getState().actions.votePoll('p1', [0, 2]);
    api.voteAs(bob, 'c1', 'p1', [2]);
    await settle();
    expect(names(shown())).toEqual([[alice.displayName], [], [alice.displayName, bob.displayName]]);
    expect(shown()).toMatchObject({ mine: [0, 2], people: 2 });
  });

  it('ends the author’s poll; a vote after that is refused in words and undone', async () => {
    const { api, store, shown } = await openPoll({}, { own: true, senderId: alice.id, senderName: alice.displayName });
    await store.getState().actions.votePoll('p1', [0]);
    const held = api.hold('endPoll');
    const ending = store.getState().actions.endPoll('p1');
    expect(shown()).toMatchObject({ ended: true, pending: true });
    held.release();
    await ending;
    expect(shown()).toMatchObject({ ended: true, pending: false });

    await store.getState().actions.votePoll('p1', [1]);
    await settle();
    expect(store.getState().notice).toBe(en.errors.pollEnded);
    expect(shown()).toMatchObject({ mine: [0], people: 1 });
  });

  it('says why when someone else’s poll cannot be ended', async () => {
    const { store, shown } = await openPoll();
    await store.getState().actions.endPoll('p1');
    await settle();
    expect(store.getState().notice).toBe(en.refusals.not_author);
    expect(shown().ended).toBe(false);
  });
});

interface Choice {
  type: string;
  /** Its accessible name: the text of the label around it. */
  name: string;
  checked: boolean;
  disabled: boolean;
  /** The text of the element that describes it (the option's count). */
  description: string;
}

/** The radio buttons and checkboxes of the group "Poll" in `html`. */
function choices(html: string): Choice[] {
  const group = /<div role="group" aria-label="Poll"[^>]*>([\s\S]*?)<\/div><p class="poll__summary">/u.exec(html)?.[1];
  if (group === undefined) return [];
  return [
    ...group.matchAll(/<label class="poll__choice"><input ([^>]*)\/><span class="poll__text">([^<]*)<\/span><\/label>/gu),
  ].map(([, attributes = '', name = '']) => {
    const describedBy = /aria-describedby="([^"]*)"/u.exec(attributes)?.[1] ?? '';
    const description = new RegExp(`<span id="${describedBy}"[^>]*>([^<]*)</span>`, 'u').exec(group)?.[1] ?? '';
    return {
      type: /type="([^"]*)"/u.exec(attributes)?.[1] ?? '',
      name,
      checked: / checked=""/u.test(attributes),
      disabled: / disabled=""/u.test(attributes),
      description,
    };
  });
}

const buttons = (html: string) => [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/gu)].map(([, text]) => text);

/** The open conversation's first message as its row shows it. */
function bubble(store: AppStore): Promise<string> {
  return bubbleMarkup(store, store.getState().open!.messages[0]!);
}

/**
 * A keyboard user on the radios of a single-answer poll as a browser runs them: each key goes first
 * to PollBody's handler (pollRadioKey; taken, it prevents the browser's action); a key it leaves is
 * the browser's: an arrow moves focus and checks the radio it lands on, Space checks the focused one,
 * and either fires change on an unchecked radio, which votes (PollBody's onChange).
 */
async function keyboardOnPoll() {
  const opened = await openPoll();
  const { store, shown } = opened;
  let focused = 0;
  const vote = (index: number) => store.getState().actions.votePoll('p1', choicesAfter(shown(), index, true));
  async function press(key: string) {
    const count = shown().options.length;
    const action = pollRadioKey(key, focused, count, shown().mine);
    if (action && 'focus' in action) focused = action.focus;
    else if (action) await vote(action.choose);
    else if (key === 'ArrowDown' || key === 'ArrowUp') {
      focused = (focused + (key === 'ArrowDown' ? 1 : count - 1)) % count;
      if (!shown().mine.includes(focused)) await vote(focused);
    } else if (key === ' ' && !shown().mine.includes(focused)) await vote(focused);
    await settle();
  }
  return { ...opened, press, focused: () => focused };
}

describe('a single-answer poll from the keyboard', () => {
  it('sends no vote while the arrow keys move through the options', async () => {
    const { api, press, focused } = await keyboardOnPoll();
    for (const key of ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowUp', 'ArrowRight', 'ArrowRight']) await press(key);
    expect(api.callsOf('votePoll')).toEqual([]);
    expect(focused()).toBe(1);
  });

  it('votes once for the option settled on, with Space or with Enter', async () => {
    const { api, press, shown } = await keyboardOnPoll();
    await press('ArrowDown');
    await press('ArrowDown');
    await press(' ');
    expect(api.callsOf('votePoll')).toEqual([{ conversationId: 'c1', messageId: 'p1', choices: [2] }]);
    expect(shown().mine).toEqual([2]);

    await press('ArrowUp');
    await press('Enter');
    expect(api.callsOf('votePoll')).toMatchObject([{ choices: [2] }, { choices: [1] }]);
    // Enter again on the option already chosen sends nothing more.
    await press('Enter');
    expect(api.callsOf('votePoll')).toHaveLength(2);
    expect(shown().mine).toEqual([1]);
  });

  it('wraps around at the ends, as a radio group does', () => {
    expect(pollRadioKey('ArrowDown', 2, 3, [])).toEqual({ focus: 0 });
    expect(pollRadioKey('ArrowUp', 0, 3, [])).toEqual({ focus: 2 });
    expect(pollRadioKey('Tab', 0, 3, [])).toBeNull();
    expect(pollRadioKey(' ', 0, 3, [])).toBeNull();
  });
});

describe('a poll in its message', () => {
  it('is a group "Poll" of radio buttons named by the options, with their counts', async () => {
    const { store } = await openPoll({
      options: [
        { text: 'Pizza', voters: [{ id: bob.id, name: bob.displayName }] },
        { text: 'Sushi', voters: [] },
        { text: 'Salad', voters: [{ id: carol.id, name: carol.displayName }] },
      ],
      people: 2,
    });
    await store.getState().actions.votePoll('p1', [0]);
    const html = await bubble(store);
    expect(html).toContain('>Lunch?</p>');
    expect(choices(html)).toEqual([
      { type: 'radio', name: 'Pizza', checked: true, disabled: false, description: '2 votes' },
      { type: 'radio', name: 'Sushi', checked: false, disabled: false, description: '0 votes' },
      { type: 'radio', name: 'Salad', checked: false, disabled: false, description: '1 vote' },
    ]);
    expect(html).toContain('3 people voted');
    expect(buttons(html)).toEqual(expect.arrayContaining(['View votes', 'Retract vote']));
    // Not the author's: no "End poll"; a poll's question is not edited.
    expect(buttons(html)).not.toContain('End poll');
    expect(html).not.toContain('aria-label="Edit"');
  });

  it('offers checkboxes when several answers are allowed, and "End poll" to its author', async () => {
    const { store } = await openPoll({ multiple: true, mine: [0, 1] }, { own: true, senderId: alice.id });
    const html = await bubble(store);
    expect(choices(html).map((choice) => [choice.type, choice.name, choice.checked])).toEqual([
      ['checkbox', 'Pizza', true],
      ['checkbox', 'Sushi', true],
      ['checkbox', 'Salad', false],
    ]);
    expect(buttons(html)).toContain('End poll');
    expect(buttons(html)).not.toContain('Retract vote');
  });

  it('takes no more votes once ended, and says so', async () => {
    const { store } = await openPoll({ ended: true, mine: [1] }, { own: true, senderId: alice.id });
    const html = await bubble(store);
    expect(choices(html).every((choice) => choice.disabled)).toBe(true);
    expect(html).toContain('Poll ended');
    expect(buttons(html)).toContain('View votes');
    expect(buttons(html)).not.toContain('End poll');
  });

  it('hints while a vote is not sent yet', async () => {
    const { store } = await openPoll({ pending: true });
    const html = await bubble(store);
    expect(html).toContain('class="poll poll--pending"');
    expect(html).toContain(en.polls.pending);
  });

  it('shows the question and options as text, never as markup', async () => {
    const { store } = await openPoll(
      {
        options: [
          { text: '<img src=x onerror=alert(1)>', voters: [] },
          { text: 'b', voters: [] },
        ],
      },
      { text: '<b>bold?</b>' },
    );
    const html = await bubble(store);
    expect(html).toContain('&lt;b&gt;bold?&lt;/b&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
  });

  it('is an ordinary message again once deleted', async () => {
    const { store } = await openPoll({}, { deleted: true, text: '' });
    const html = await bubble(store);
    expect(html).not.toContain('role="group"');
    expect(html).toContain(en.message.deleted);
  });
});

describe('the composer', () => {
  it('keeps "Attach" a plain button beside the file chooser, with "Attach menu" after them', async () => {
    const { store } = await openPoll();
    const html = await markup(store, 'c1', ({ Composer }) => createElement(Composer, { conversationId: 'c1' }));
    const attach = /<button[^>]* aria-label="Attach"[^>]*>.*?<\/button>/u.exec(html);
    expect(attach?.[0]).toBeDefined();
    expect(attach?.[0]).not.toContain('aria-haspopup');
    const after = html.slice((attach?.index ?? 0) + (attach?.[0].length ?? 0));
    expect(after).toMatch(/^<input type="file" multiple="" hidden="" tabindex="-1"\/>/u);
    expect(/<button[^>]*aria-label="Attach menu"[^>]*>/u.exec(after)?.[0]).toMatch(/aria-haspopup="menu" aria-expanded="false"/u);
  });
});
