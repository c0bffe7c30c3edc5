/**
 * The app's place on the desktop beside its window: native notifications of new messages, the
 * unread total on the dock or taskbar, and a tray icon (with the unread state) whose menu opens
 * the window, switches Work offline and quits. Everything it knows comes from the core through the
 * app API, re-read when the core's events say it changed; its words follow the language preference.
 */
import path from 'node:path';
import { app, Menu, nativeImage, Notification, Tray, type BrowserWindow, type NativeImage } from 'electron';
import type { AppApiClient } from '../../sync/app-api/client.js';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import type { CallView } from '../../sync/app-api/calls-api.js';
import type { GroupCallView } from '../../sync/app-api/group-calls-api.js';
import { DEFAULT_PREFERENCES, type Preferences } from '../../sync/app-api/preferences.js';
import { errorFields, type Logger } from '../../sync/common/logger.js';
import { desktopStrings, type DesktopStrings } from '../common/desktop-strings.js';
import type { NotificationContent } from '../common/notification-decision.js';
import { createNotifier } from './notifier.js';
import { TRAY_ICON, TRAY_ICON_UNREAD } from './tray-art.js';
import { badgeFor, trayMenuTemplate, trayTooltip, unreadTotal } from './tray-menu.js';

/** electron-builder's appId: Windows shows notifications only for an app with this identity. */
export const WINDOWS_APP_ID = 'dev.offline-messenger.app';

export interface DesktopShellHost {
  /** The folder of the tray pictures (dist/main/tray, see tray-art.ts). */
  artDir: string;
  platform: NodeJS.Platform;
  window(): BrowserWindow | null;
  /** Shows the window, restored and focused (opening one when there is none). */
  showWindow(): void;
  /** Shows the window with this conversation open. */
  openConversation(conversationId: string): void;
  quit(): void;
  logger: Logger;
  /**
   * The calls on this device changed (camera and screen are granted only while one runs): the
   * one-to-one call and the group call joined here, with the words of the moment.
   */
  callChanged?(call: CallView | null, groupCall: GroupCallView | null, strings: DesktopStrings): void;
}

/** Starts the tray, badge and notifications; returns what stops them. */
export function startDesktopShell(api: AppApiClient, host: DesktopShellHost): () => void {
  let preferences: Preferences = DEFAULT_PREFERENCES;
  let strings: DesktopStrings = desktopStrings(preferences.language, app.getPreferredSystemLanguages());
  let unread = 0;
  let stopped = false;
  const images = new Map<string, NativeImage>();
  const image = (file: string) => {
    let found = images.get(file);
    if (!found) {
      found = nativeImage.createFromPath(path.join(host.artDir, file));
      images.set(file, found);
    }
    return found;
  };
  /** Notifications on screen, by conversation: kept referenced so their clicks arrive, closed once read. */
  const shown = new Map<string, Set<Notification>>();

  const tray = new Tray(image(TRAY_ICON));
  // Windows and most Linux trays report a click on the icon itself; macOS opens the menu.
  tray.on('click', () => host.showWindow());

  /** What the tray and badge show now: each 'conversations' event re-reads the count, most often unchanged. */
  let rendered: { unread: number; strings: DesktopStrings; workOffline: boolean } | null = null;
  const render = () => {
    if (stopped) return;
    const last = rendered;
    rendered = { unread, strings, workOffline: preferences.workOffline };
    if (last === null || last.strings !== strings || last.workOffline !== preferences.workOffline) {
      // A new menu each time: Linux trays take a menu's changes only from a new one.
      tray.setContextMenu(
        Menu.buildFromTemplate(
          trayMenuTemplate(strings, preferences.workOffline, {
            open: () => host.showWindow(),
            setWorkOffline: (on) => void changePreferences({ workOffline: on }),
            quit: () => host.quit(),
          }),
        ),
      );
    }
    if (last !== null && last.strings === strings && last.unread === unread) return;
    tray.setImage(image(unread > 0 ? TRAY_ICON_UNREAD : TRAY_ICON));
    tray.setToolTip(trayTooltip(strings, unread));
    const badge = badgeFor(host.platform, strings, unread);
    if (badge.kind === 'count') app.setBadgeCount(badge.count);
    else host.window()?.setOverlayIcon(badge.file === null ? null : image(badge.file), badge.description);
  };

  const adopt = (next: Preferences) => {
    preferences = next;
    strings = desktopStrings(next.language, app.getPreferredSystemLanguages());
    render();
  };
  const readPreferences = async () => {
    try {
      adopt(await api.getPreferences());
    } catch (error) {
      host.logger.warn('the desktop shell could not read the preferences', errorFields(error));
    }
  };
  const changePreferences = async (change: Partial<Preferences>) => {
    try {
      adopt(await api.setPreferences(change));
    } catch (error) {
      host.logger.warn('the desktop shell could not change the preferences', errorFields(error));
    }
  };

  const closeRead = (conversations: readonly ConversationSummary[]) => {
    const unreadIds = new Set(conversations.filter((c) => c.unreadCount > 0).map((c) => c.id));
    for (const [conversationId, notifications] of shown) {
      if (unreadIds.has(conversationId)) continue;
      for (const notification of notifications) notification.close();
      shown.delete(conversationId);
    }
  };
  const refreshUnread = coalesced(async () => {
    let conversations: ConversationSummary[] = [];
    try {
      conversations = await api.listConversations({ folder: 'all' });
    } catch {
      // Signed out (or the core is closing): nothing is unread.
    }
    unread = unreadTotal(conversations);
    closeRead(conversations);
    render();
  });

  const show = (conversationId: string, content: NotificationContent) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title: content.title, body: content.body, groupId: conversationId });
    const mine = shown.get(conversationId) ?? new Set<Notification>();
    shown.set(conversationId, mine);
    const forget = () => mine.delete(notification);
    notification.on('click', () => {
      forget();
      host.openConversation(conversationId);
    });
    notification.on('close', forget);
    mine.add(notification);
    notification.show();
  };
  const notifier = createNotifier({
    api,
    preferences: () => preferences,
    strings: () => strings,
    windowFocused: () => host.window()?.isFocused() ?? false,
    platform: host.platform,
    show,
    onError: (error) => host.logger.warn('a notification could not be prepared', errorFields(error)),
  });

  /** The notification of the call ringing now, closed once it stops ringing. */
  let ringing: { callId: string; notification: Notification | null } | null = null;
  const readCall = async () => {
    const [call, groupCalls] = await Promise.all([api.getCall(), api.getGroupCalls()]);
    if (stopped) return;
    host.callChanged?.(call, groupCalls.joined, strings);
    const rings = call?.phase === 'ringing' ? call : null;
    if (ringing && ringing.callId !== rings?.callId) {
      ringing.notification?.close();
      ringing = null;
    }
    if (!rings || ringing) return;
    ringing = { callId: rings.callId, notification: null };
    if (host.window()?.isFocused() || !Notification.isSupported()) return;
    const notification = new Notification({
      title: rings.peer.displayName,
      body: rings.media === 'video' ? strings.incomingVideoCall : strings.incomingVoiceCall,
    });
    notification.on('click', () => host.openConversation(rings.conversationId));
    notification.show();
    ringing.notification = notification;
  };

  const unsubscribe = api.subscribe((event) => {
    if (event.type === 'call' || event.type === 'group_call') {
      readCall().catch((error: unknown) => host.logger.warn('the call could not be read', errorFields(error)));
    } else if (event.type === 'conversations' || event.type === 'session') refreshUnread();
    else if (event.type === 'preferences') void readPreferences();
    else if (event.type === 'incoming') void notifier.incoming(event.conversationId, event.messageId);
    else if (event.type === 'missed_call') void notifier.missedCall(event.conversationId, event.media);
    else if (event.type === 'group_call_started') void notifier.groupCallStarted(event.conversationId, event.media);
  });
  render();
  void readPreferences();
  refreshUnread();

  return () => {
    stopped = true;
    unsubscribe();
    ringing?.notification?.close();
    for (const notifications of shown.values()) for (const notification of notifications) notification.close();
    shown.clear();
    tray.destroy();
  };
}

/** Runs `task` now, or once more after the run in progress when asked meanwhile (any number of asks: one run). */
function coalesced(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
