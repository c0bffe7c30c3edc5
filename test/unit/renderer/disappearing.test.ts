/**
 * Disappearing messages in the renderer (issue 33): the timers and time left in words, the notices,
 * the "Disappearing messages" dialog and its Save, the header's and a message's stopwatch, a quote
 * of a message that disappeared, the one clock every countdown shares, and a message the core
 * deleted leaving the window, the reply it was chosen for and the pinned bar.
 */
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppApiError, type MessageView } from '../../../sync/app-api/contract.js';
import type { DisappearingView } from '../../../sync/app-api/disappearing-api.js';
import { DISAPPEARING_TIMERS_MS } from '../../../sync/protocol/disappearing.js';
import { expiryWords, timerWords } from '../../../renderer/format/disappearing.js';
import { noticeText } from '../../../renderer/format/notices.js';
import { createTicker } from '../../../renderer/hooks/useSecondClock.js';
import { en } from '../../../renderer/i18n/en.js';
import { setLanguage } from '../../../renderer/i18n/index.js';
import { describeError } from '../../../renderer/state/errors.js';
import { disappearingChanges } from '../../../renderer/state/disappearing.js';
import { goneFromWindow } from '../../../renderer/state/gone.js';
import type { AppStore } from '../../../renderer/state/store.js';
import { disappearingView } from '../../support/app-views.js';
import { alice, bob, carol, FakeApi, message, notice, settle, storesOnFakes, summary } from './fake-api.js';
import { bubbleMarkup, markup } from './markup.js';

const { start } = storesOnFakes();

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

afterEach(() => {
  setLanguage('en');
  vi.useRealTimers();
});

/** The group g1, open, with this setting; Alice's role in it as given. */
async function openGroup(disappearing: DisappearingView, role: 'owner' | 'admin' | 'member' = 'member') {
  const api = new FakeApi();
  api.conversations = [summary({ id: 'g1', kind: 'group', title: 'Trip', peer: null, memberCount: 3 })];
  api.infos.set('g1', {
    id: 'g1',
    kind: 'group',
    name: 'Trip',
    isMember: true,
    role,
    members: [
      { user: alice, role, online: true, you: true, pending: false },
      { user: bob, role: 'owner', online: false, you: false, pending: false },
      { user: carol, role: 'member', online: false, you: false, pending: false },
    ],
    failedChanges: [],
    disappearing,
  });
  api.histories.set('g1', { messages: [message({ id: 'm1', conversationId: 'g1', seq: 1 })], readSeq: 1 });
  const store = await start(api);
  store.getState().actions.openConversation('g1');
  await settle();
  return { api, store };
}

/** The direct conversation c1 with Bob, open on its newest messages (all read). */
async function openDirect(messages: MessageView[], disappearing = disappearingView()) {
  const api = new FakeApi();
  api.conversations = [summary({ id: 'c1', disappearingTimerMs: disappearing.timerMs })];
  api.disappearing.set('c1', disappearing);
  api.histories.set('c1', { messages, readSeq: messages.length });
  const store = await start(api);
  store.getState().actions.openConversation('c1');
  await settle();
  return { api, store };
}

interface Choice {
  type: string;
  name: string;
  checked: boolean;
  disabled: boolean;
}

/** The radios and checkboxes in `html`, each named by the text of its label. */
function choices(html: string): Choice[] {
  return [...html.matchAll(/<label class="field__choice"><input ([^>]*)\/><span>([^<]*)<\/span><\/label>/gu)].map(
    ([, attributes = '', name = '']) => ({
      type: /type="([^"]*)"/u.exec(attributes)?.[1] ?? '',
      name,
      checked: / checked=""/u.test(attributes),
      disabled: / disabled=""/u.test(attributes),
    }),
  );
}

const buttons = (html: string) => [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/gu)].map(([, text]) => text);

/** The dialog's form as the store's info has the setting now. */
function dialog(store: AppStore, conversationId: string, isGroup: boolean): Promise<string> {
  const view = store.getState().info?.view.disappearing ?? null;
  return markup(store, conversationId, ({ DisappearingForm }) =>
    createElement(DisappearingForm, { conversationId, isGroup, view, onDone: () => {} }),
  );
}

const RADIO_NAMES = ['Off', '30 seconds', '5 minutes', '1 hour', '8 hours', '1 day', '1 week', '4 weeks'];

describe('the timers in words', () => {
  it('name each timer in its largest whole unit, as the radios do', () => {
    expect(DISAPPEARING_TIMERS_MS.map(timerWords)).toEqual(RADIO_NAMES.slice(1));
  });

  it('decline them in Russian and Ukrainian, after a preposition too', () => {
    setLanguage('ru');
    expect(DISAPPEARING_TIMERS_MS.map(timerWords)).toEqual([
      '30 секунд',
      '5 минут',
      '1 час',
      '8 часов',
      '1 день',
      '1 неделя',
      '4 недели',
    ]);
    expect(expiryWords({ expiresInMs: WEEK, expiresAt: null, own: false }, 0)).toBe('Исчезнет через 1 неделю после прочтения');
    expect(expiryWords({ expiresInMs: MINUTE, expiresAt: 21 * SECOND, own: false }, 0)).toBe('Исчезнет через 21 секунду');
    setLanguage('uk');
    expect(DISAPPEARING_TIMERS_MS.map(timerWords)).toEqual([
      '30 секунд',
      '5 хвилин',
      '1 година',
      '8 годин',
      '1 день',
      '1 тиждень',
      '4 тижні',
    ]);
    expect(expiryWords({ expiresInMs: HOUR, expiresAt: HOUR, own: true }, 0)).toBe('Зникне через 1 годину');
  });

  it('say how long a message has left, rounded up in a unit below the next', () => {
    const left = (ms: number) => expiryWords({ expiresInMs: 4 * WEEK, expiresAt: 1_000_000 + ms, own: false }, 1_000_000);
    expect(left(25 * SECOND)).toBe('Disappears in 25 seconds');
    expect(left(24.2 * SECOND)).toBe('Disappears in 25 seconds');
    expect(left(5 * MINUTE - 1)).toBe('Disappears in 5 minutes');
    expect(left(HOUR - 30 * SECOND)).toBe('Disappears in 1 hour');
    expect(left(23.5 * HOUR)).toBe('Disappears in 1 day');
    expect(left(4 * WEEK)).toBe('Disappears in 28 days');
    // Due, and not removed yet: the core removes it.
    expect(left(-3 * SECOND)).toBe('Disappears in 1 second');
  });

  it('say when the timer will start before it has', () => {
    expect(expiryWords({ expiresInMs: WEEK, expiresAt: null, own: false }, 0)).toBe('Disappears 1 week after it is read');
    expect(expiryWords({ expiresInMs: 5 * MINUTE, expiresAt: null, own: true }, 0)).toBe('Disappears 5 minutes after it is sent');
    expect(expiryWords({ expiresInMs: null, expiresAt: null, own: true }, 0)).toBe('');
  });
});

describe('the notices', () => {
  const set = (timerMs: number | null) => notice({ seq: 2.5, kind: 'disappearing_timer_set', actor: bob, subjects: [], timerMs });
  const policy = (everyone: boolean) => notice({ seq: 2.5, kind: 'disappearing_policy_set', actor: bob, subjects: [], everyone });

  it('name who set the timer and to what, or turned it off', () => {
    expect(noticeText(set(WEEK))).toBe('Bob Brown set disappearing messages to 1 week');
    expect(noticeText(set(30 * SECOND))).toBe('Bob Brown set disappearing messages to 30 seconds');
    expect(noticeText(set(null))).toBe('Bob Brown turned off disappearing messages');
    expect(noticeText({ ...set(8 * HOUR), actor: alice })).toBe('Alice Liddell set disappearing messages to 8 hours');
  });

  it('name who chose who may change it', () => {
    expect(noticeText(policy(true))).toBe('Bob Brown let all members change disappearing messages');
    expect(noticeText(policy(false))).toBe('Bob Brown let only admins change disappearing messages');
  });

  it('are translated', () => {
    setLanguage('ru');
    expect(noticeText(set(WEEK))).toBe('Bob Brown установил(а) таймер исчезающих сообщений на 1 неделю');
    expect(noticeText(set(null))).toBe('Bob Brown отключил(а) исчезающие сообщения');
    setLanguage('uk');
    expect(noticeText(set(MINUTE * 5))).toBe('Bob Brown встановив(-ла) таймер зникаючих повідомлень на 5 хвилин');
    expect(noticeText(policy(false))).toBe('Bob Brown дозволив(-ла) змінювати таймер зникаючих повідомлень лише адміністраторам');
  });
});

describe('the "Disappearing messages" dialog', () => {
  it('offers Off and each timer as radios, the current one checked, with Save and Cancel', async () => {
    const { store } = await openDirect([message({ id: 'm1', seq: 1 })], disappearingView({ timerMs: WEEK }));
    const html = await dialog(store, 'c1', false);
    expect(html).toContain('role="radiogroup" aria-label="Timer"');
    expect(choices(html)).toEqual(
      RADIO_NAMES.map((name) => ({ type: 'radio', name, checked: name === '1 week', disabled: false })),
    );
    expect(buttons(html)).toEqual(['Cancel', 'Save']);
    expect(html).not.toContain(en.disappearing.onlyAdmins);
    expect(html).not.toContain('type="checkbox"');
  });

  it('checks Off when the timer is off', async () => {
    const { store } = await openDirect([]);
    expect(choices(await dialog(store, 'c1', false)).filter((choice) => choice.checked)).toEqual([
      { type: 'radio', name: 'Off', checked: true, disabled: false },
    ]);
  });

  it('disables the radios for a member the group does not let change it, and says why', async () => {
    const { store } = await openGroup(disappearingView({ timerMs: HOUR, everyoneMaySet: false, mayChange: false }));
    const html = await dialog(store, 'g1', true);
    expect(choices(html).every((choice) => choice.disabled)).toBe(true);
    expect(choices(html).find((choice) => choice.checked)?.name).toBe('1 hour');
    expect(html).toContain('Only admins can change this.');
    expect(html).not.toContain('type="checkbox"');
  });

  it('offers a group’s admins "Let all members change this", checked as the group has it', async () => {
    const admins = await openGroup(disappearingView({ everyoneMaySet: false, mayChangePolicy: true }), 'admin');
    expect(choices(await dialog(admins.store, 'g1', true)).at(-1)).toEqual({
      type: 'checkbox',
      name: 'Let all members change this',
      checked: false,
      disabled: false,
    });
    const everyone = await openGroup(disappearingView({ everyoneMaySet: true, mayChangePolicy: true }), 'owner');
    expect(choices(await dialog(everyone.store, 'g1', true)).at(-1)).toMatchObject({ type: 'checkbox', checked: true });
  });
});

describe('saving the dialog', () => {
  it('sends only what the person changed that differs from the setting now', () => {
    const now = disappearingView({ timerMs: WEEK, everyoneMaySet: false });
    expect(disappearingChanges(now, {})).toEqual({});
    expect(disappearingChanges(now, { timerMs: WEEK, everyone: false })).toEqual({});
    expect(disappearingChanges(now, { timerMs: null })).toEqual({ timerMs: null });
    expect(disappearingChanges(now, { timerMs: DAY, everyone: true })).toEqual({ timerMs: DAY, everyone: true });
  });

  it('sets the timer; the header, the dialog and the notice follow', async () => {
    const { api, store } = await openDirect([message({ id: 'm1', seq: 1 })]);
    await store.getState().actions.saveDisappearing('c1', { timerMs: WEEK });
    await settle();
    expect(api.callsOf('setDisappearingTimer')).toEqual([{ conversationId: 'c1', timerMs: WEEK }]);
    expect(api.callsOf('setDisappearingPolicy')).toEqual([]);
    expect(store.getState().conversations[0]?.disappearingTimerMs).toBe(WEEK);
    expect(store.getState().info?.view.disappearing.timerMs).toBe(WEEK);
    expect(store.getState().open?.notices.map(noticeText)).toEqual(['Alice Liddell set disappearing messages to 1 week']);

    await store.getState().actions.saveDisappearing('c1', { timerMs: WEEK });
    expect(api.callsOf('setDisappearingTimer')).toHaveLength(1);
  });

  it('sets who may change it in a group, without touching the timer left alone', async () => {
    const { api, store } = await openGroup(
      disappearingView({ timerMs: DAY, everyoneMaySet: false, mayChangePolicy: true }),
      'admin',
    );
    await store.getState().actions.saveDisappearing('g1', { everyone: true });
    await settle();
    expect(api.callsOf('setDisappearingTimer')).toEqual([]);
    expect(api.callsOf('setDisappearingPolicy')).toEqual([{ conversationId: 'g1', everyone: true }]);
    expect(store.getState().info?.view.disappearing).toMatchObject({ timerMs: DAY, everyoneMaySet: true });
    expect(choices(await dialog(store, 'g1', true)).at(-1)).toMatchObject({ checked: true });
  });

  it('throws the core’s refusal, which the dialog puts in the language file’s words', async () => {
    const { api, store } = await openGroup(disappearingView({ everyoneMaySet: false }));
    api.disappearing.set('g1', disappearingView({ everyoneMaySet: false, mayChange: false }));
    const saving = store.getState().actions.saveDisappearing('g1', { timerMs: HOUR });
    await expect(saving).rejects.toBeInstanceOf(AppApiError);
    const failure: unknown = await saving.catch((error: unknown) => error);
    expect(describeError(failure)).toBe(en.refusals.not_allowed);
  });
});

describe('the stopwatches', () => {
  it('show the timer in the header, named with it', async () => {
    const { store } = await openDirect([], disappearingView({ timerMs: WEEK }));
    const header = (timerMs: number | null) =>
      markup(store, 'c1', ({ ConversationHeader }) =>
        createElement(ConversationHeader, {
          conversation: summary({ id: 'c1', disappearingTimerMs: timerMs }),
          titleId: 'title',
          onGroupInfo: () => {},
        }),
      );
    expect(await header(WEEK)).toContain(
      '<span role="img" aria-label="Disappearing messages: 1 week" title="Disappearing messages: 1 week"',
    );
    expect(await header(30 * SECOND)).toContain('aria-label="Disappearing messages: 30 seconds"');
    expect(await header(null)).not.toContain('Disappearing messages');
  });

  it('mark a disappearing message, its tooltip saying how long is left', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const waiting = message({ id: 'm1', seq: 1, expiresInMs: WEEK, expiresAt: null });
    const running = message({ id: 'm2', seq: 2, expiresInMs: MINUTE, expiresAt: 1_025_000 });
    const lasting = message({ id: 'm3', seq: 3 });
    const { store } = await openDirect([waiting, running, lasting]);
    expect(await bubbleMarkup(store, waiting)).toContain(
      '<span role="img" aria-label="Disappearing message" title="Disappears 1 week after it is read" class="message__timer">',
    );
    expect(await bubbleMarkup(store, running)).toContain('aria-label="Disappearing message" title="Disappears in 25 seconds"');
    expect(await bubbleMarkup(store, lasting)).not.toContain('Disappearing message');
  });

  it('count down on one interval however many are on screen, stopped when none is', () => {
    vi.useFakeTimers();
    const ticker = createTicker(SECOND);
    const ticks = [0, 0, 0];
    const stops = ticks.map((_, index) => ticker.subscribe(() => ticks[index]!++));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(3 * SECOND);
    expect(ticks).toEqual([3, 3, 3]);
    stops[0]!();
    stops[1]!();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(SECOND);
    expect(ticks).toEqual([3, 3, 4]);
    stops[2]!();
    expect(vi.getTimerCount()).toBe(0);
    ticker.subscribe(() => {})();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('a message whose timer ran out', () => {
  const history = () => [
    message({ id: 'm1', seq: 1 }),
    message({ id: 'm2', seq: 2, text: 'secret', expiresInMs: 30 * SECOND, expiresAt: 2000 }),
    message({
      id: 'm3',
      seq: 3,
      text: 'answer',
      replyTo: {
        messageId: 'm2',
        available: true,
        senderId: bob.id,
        senderName: bob.displayName,
        text: 'secret',
        deleted: false,
        disappeared: false,
      },
    }),
  ];

  it('leaves the window, the pinned bar and the reply chosen for it once the core deleted it', async () => {
    const { api, store } = await openDirect(history());
    await store.getState().actions.pinMessage('m2', true);
    const chosen = store.getState().open!.messages.find((m) => m.id === 'm2')!;
    expect(store.getState().pins?.list.map((pin) => pin.messageId)).toEqual(['m2']);
    expect(goneFromWindow(store.getState().open, chosen)).toBe(false);

    api.expire('c1', 'm2');
    await settle();
    expect(store.getState().open?.messages.map((m) => m.id)).toEqual(['m1', 'm3']);
    expect(store.getState().pins?.list).toEqual([]);
    expect(goneFromWindow(store.getState().open, chosen)).toBe(true);
  });

  it('is quoted as disappeared in the replies to it', async () => {
    const { api, store } = await openDirect(history());
    api.expire('c1', 'm2');
    await settle();
    const html = await bubbleMarkup(
      store,
      store.getState().open!.messages.find((m) => m.id === 'm3')!,
    );
    expect(html).toContain('This message has disappeared');
    expect(html).not.toContain('secret');
    // Nothing is left to jump to: the quote is no button.
    expect(html).not.toContain('class="quote"');
  });

  it('is not taken for gone while it is only outside the window', async () => {
    const long = Array.from({ length: 300 }, (_, index) => message({ id: `m${index + 1}`, seq: index + 1 }));
    const { store } = await openDirect(long);
    const open = store.getState().open!;
    expect(open.hasOlder).toBe(true);
    expect(goneFromWindow(open, long[4]!)).toBe(false);
    expect(goneFromWindow(open, long[299]!)).toBe(false);
    expect(goneFromWindow(open, { ...long[299]!, id: 'elsewhere' })).toBe(true);
    expect(goneFromWindow({ ...open, loaded: false }, { ...long[299]!, id: 'elsewhere' })).toBe(false);
  });
});
