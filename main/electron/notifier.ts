/**
 * Turns the core's 'incoming' events into native notifications: reads what the decision needs
 * through the app API (the message, the conversation, the people you blocked) and shows what
 * notification-decision.ts says. A burst in one conversation is coalesced: while one message is
 * being looked at, only the newest that arrives after it is kept for the next look.
 * No Electron here: the host hands in how to show a notification.
 */
import type { AppApi } from '../../sync/app-api/contract.js';
import type { Preferences } from '../../sync/app-api/preferences.js';
import type { DesktopStrings } from '../common/desktop-strings.js';
import { decideNotification, escapeNotificationMarkup, type NotificationContent } from '../common/notification-decision.js';

export interface NotifierDeps {
  api: Pick<AppApi, 'listMessages' | 'listConversations' | 'listBlocked'>;
  preferences(): Preferences;
  strings(): DesktopStrings;
  windowFocused(): boolean;
  platform: NodeJS.Platform;
  /** Shows the notification; clicking it opens `conversationId`. */
  show(conversationId: string, content: NotificationContent): void;
  /** A look-up failed (the core closing, signed out meanwhile): nothing is shown. */
  onError?(error: unknown): void;
}

export interface Notifier {
  /** A message arrived live in the conversation; resolves once it has been dealt with. */
  incoming(conversationId: string, messageId: string): Promise<void>;
  /** A call to this person was missed (the core says so only live, never for history). */
  missedCall(conversationId: string, media: 'audio' | 'video'): Promise<void>;
  /** Someone started a call in a group (said only live, never for history). */
  groupCallStarted(conversationId: string, media: 'audio' | 'video'): Promise<void>;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  /** A call's notification, titled with the conversation. */
  async function aboutCall(conversationId: string, body: (strings: DesktopStrings) => string): Promise<void> {
    try {
      const conversation = (await deps.api.listConversations({ folder: 'all' })).find((c) => c.id === conversationId);
      // As for a message: not while you look at the app, nor from a muted conversation or a request.
      if (!conversation || deps.windowFocused() || conversation.muted || conversation.request) return;
      const title = deps.platform === 'linux' ? escapeNotificationMarkup(conversation.title) : conversation.title;
      deps.show(conversationId, { title, body: body(deps.strings()) });
    } catch (error) {
      deps.onError?.(error);
    }
  }

  /** Conversations being looked at, each with the newest message that arrived meanwhile (or null). */
  const busy = new Map<string, string | null>();

  async function consider(conversationId: string, messageId: string): Promise<void> {
    const [page, conversations, blocked] = await Promise.all([
      deps.api.listMessages({ conversationId, aroundMessageId: messageId, limit: 1 }),
      deps.api.listConversations({ folder: 'all' }),
      deps.api.listBlocked(),
    ]);
    const message = page.messages.find((candidate) => candidate.id === messageId);
    const conversation = conversations.find((candidate) => candidate.id === conversationId);
    if (!message || !conversation) return;
    const content = decideNotification({
      windowFocused: deps.windowFocused(),
      conversation,
      message,
      readSeq: page.readSeq,
      blockedUserIds: new Set(blocked.map((user) => user.id)),
      previews: deps.preferences().notificationPreviews,
      strings: deps.strings(),
    });
    if (content === null) return;
    deps.show(conversationId, deps.platform === 'linux' ? { ...content, body: escapeNotificationMarkup(content.body) } : content);
  }

  return {
    missedCall: (conversationId, media) =>
      aboutCall(conversationId, (strings) => (media === 'video' ? strings.missedVideoCall : strings.missedVoiceCall)),
    groupCallStarted: (conversationId, media) =>
      aboutCall(conversationId, (strings) => (media === 'video' ? strings.videoCallStarted : strings.voiceCallStarted)),
    async incoming(conversationId, messageId) {
      if (busy.has(conversationId)) {
        busy.set(conversationId, messageId);
        return;
      }
      let next: string | null = messageId;
      while (next !== null) {
        busy.set(conversationId, null);
        try {
          await consider(conversationId, next);
        } catch (error) {
          deps.onError?.(error);
        }
        next = busy.get(conversationId) ?? null;
      }
      busy.delete(conversationId);
    },
  };
}
