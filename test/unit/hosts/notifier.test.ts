/** From the core's 'incoming' events to native notifications, with stand-ins for the app API and the screen. */
import { describe, expect, it } from 'vitest';
import { DESKTOP_STRINGS } from '../../../main/common/desktop-strings.js';
import type { NotificationContent } from '../../../main/common/notification-decision.js';
import { createNotifier, type NotifierDeps } from '../../../main/electron/notifier.js';
import type { MessagePage, MessageView } from '../../../sync/app-api/contract.js';
import { DEFAULT_PREFERENCES, type Preferences } from '../../../sync/app-api/preferences.js';
import type { User } from '../../../sync/protocol/frames.js';
import { conversationSummary, messageView } from '../../support/app-views.js';

const ann: User = { id: 'u-ann', username: 'ann', displayName: 'Ann' };

function message(id: string, seq: number, text: string, overrides: Partial<MessageView> = {}): MessageView {
  return messageView(ann, { id, seq, text, at: seq, ...overrides });
}

const conversation = conversationSummary(ann, { id: 'c1', unreadCount: 1 });

interface Rig {
  deps: NotifierDeps;
  shown: Array<[string, NotificationContent]>;
  looked: string[];
  errors: unknown[];
  /** Holds listMessages until released, to play a slow core. */
  hold(): () => void;
}

function rig(
  messages: MessageView[],
  overrides: Partial<NotifierDeps> = {},
  preferences: Preferences = DEFAULT_PREFERENCES,
): Rig {
  const shown: Rig['shown'] = [];
  const looked: string[] = [];
  const errors: unknown[] = [];
  let gate: Promise<void> | null = null;
  const deps: NotifierDeps = {
    api: {
      async listMessages(args): Promise<MessagePage> {
        looked.push(args.aroundMessageId!);
        if (gate) await gate;
        const found = messages.filter((m) => m.id === args.aroundMessageId);
        return { messages: found, notices: [], hasOlder: false, hasNewer: false, readSeq: 0, firstUnreadSeq: null };
      },
      listConversations: async () => [conversation],
      listBlocked: async () => [],
    },
    preferences: () => preferences,
    strings: () => DESKTOP_STRINGS.en,
    windowFocused: () => false,
    platform: 'darwin',
    show: (conversationId, content) => shown.push([conversationId, content]),
    onError: (error) => errors.push(error),
    ...overrides,
  };
  return {
    deps,
    shown,
    looked,
    errors,
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

describe('the notifier', () => {
  it('shows a notification of a message that arrived, read through the app API', async () => {
    const { deps, shown } = rig([message('m1', 1, 'Hi <there>')]);
    await createNotifier(deps).incoming('c1', 'm1');
    // Not on Linux: the text goes as it is.
    expect(shown).toEqual([['c1', { title: 'Ann', body: 'Hi <there>' }]]);
  });

  it('escapes the text for Linux notification servers, which read markup', async () => {
    const { deps, shown } = rig([message('m1', 1, 'Hi <there> & you')], { platform: 'linux' });
    await createNotifier(deps).incoming('c1', 'm1');
    expect(shown).toEqual([['c1', { title: 'Ann', body: 'Hi &lt;there&gt; &amp; you' }]]);
  });

  it('asks the decision: nothing while the window is focused, no text with previews off', async () => {
    const focused = rig([message('m1', 1, 'Hi')], { windowFocused: () => true });
    await createNotifier(focused.deps).incoming('c1', 'm1');
    expect(focused.shown).toEqual([]);
    const private_ = rig([message('m1', 1, 'Hi')], {}, { ...DEFAULT_PREFERENCES, notificationPreviews: false });
    await createNotifier(private_.deps).incoming('c1', 'm1');
    expect(private_.shown).toEqual([['c1', { title: 'Ann', body: 'New message' }]]);
  });

  it('in a burst, looks at the first message and then only the newest that came meanwhile', async () => {
    const r = rig([message('m1', 1, 'one'), message('m2', 2, 'two'), message('m3', 3, 'three')]);
    const notifier = createNotifier(r.deps);
    const release = r.hold();
    const burst = [notifier.incoming('c1', 'm1'), notifier.incoming('c1', 'm2'), notifier.incoming('c1', 'm3')];
    release();
    await Promise.all(burst);
    expect(r.looked).toEqual(['m1', 'm3']);
    expect(r.shown.map(([, content]) => content.body)).toEqual(['one', 'three']);
  });

  it('shows nothing for a message gone meanwhile, and reports a failed look-up', async () => {
    const gone = rig([]);
    await createNotifier(gone.deps).incoming('c1', 'm1');
    expect(gone.shown).toEqual([]);
    const failing = rig([message('m1', 1, 'Hi')]);
    failing.deps.api.listBlocked = async () => {
      throw new Error('not signed in');
    };
    const notifier = createNotifier(failing.deps);
    await notifier.incoming('c1', 'm1');
    expect(failing.errors).toEqual([new Error('not signed in')]);
    // The conversation is not left marked busy: the next message is looked at.
    failing.deps.api.listBlocked = async () => [];
    await notifier.incoming('c1', 'm1');
    expect(failing.shown).toHaveLength(1);
  });
});

describe('missed calls and group calls started', () => {
  it('notify in the conversation’s name, but not while the window is focused, nor for a muted conversation or a request', async () => {
    const notified = rig([]);
    await createNotifier(notified.deps).missedCall('c1', 'video');
    await createNotifier(notified.deps).groupCallStarted('c1', 'audio');
    expect(notified.shown).toEqual([
      ['c1', { title: conversation.title, body: 'Missed video call' }],
      ['c1', { title: conversation.title, body: 'Voice call started' }],
    ]);

    for (const quiet of [
      rig([], { windowFocused: () => true }),
      rig([], { api: { ...notified.deps.api, listConversations: async () => [{ ...conversation, muted: true }] } }),
      rig([], { api: { ...notified.deps.api, listConversations: async () => [{ ...conversation, request: true }] } }),
    ]) {
      await createNotifier(quiet.deps).missedCall('c1', 'audio');
      await createNotifier(quiet.deps).groupCallStarted('c1', 'video');
      expect(quiet.shown).toEqual([]);
    }
  });
});
