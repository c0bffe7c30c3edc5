/**
 * What the tray and the dock or taskbar badge show, kept apart from Electron so tests can check it:
 * the unread total (as the window's title counts it: muted conversations and message requests left out), the tray's
 * menu and tooltip, and the badge per system.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { unreadText, type DesktopStrings } from '../common/desktop-strings.js';
import { overlayFile } from './tray-art.js';

export function unreadTotal(conversations: readonly Pick<ConversationSummary, 'muted' | 'request' | 'unreadCount'>[]): number {
  return conversations.reduce(
    (sum, conversation) => sum + (conversation.muted || conversation.request ? 0 : conversation.unreadCount),
    0,
  );
}

export interface TrayActions {
  open(): void;
  /** Work offline was switched to `on`. */
  setWorkOffline(on: boolean): void;
  quit(): void;
}

export function trayMenuTemplate(
  strings: DesktopStrings,
  workOffline: boolean,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  return [
    { label: strings.open, click: () => actions.open() },
    { label: strings.workOffline, type: 'checkbox', checked: workOffline, click: () => actions.setWorkOffline(!workOffline) },
    { type: 'separator' },
    { label: strings.quit, click: () => actions.quit() },
  ];
}

export function trayTooltip(strings: DesktopStrings, unread: number): string {
  return unread > 0 ? `${strings.appName}: ${unreadText(strings, unread)}` : strings.appName;
}

/** How the unread count reaches the taskbar (Windows: an overlay picture) or the dock and launcher (a number). */
export type Badge = { kind: 'count'; count: number } | { kind: 'overlay'; file: string | null; description: string };

export function badgeFor(platform: NodeJS.Platform, strings: DesktopStrings, unread: number): Badge {
  if (platform !== 'win32') return { kind: 'count', count: unread };
  return unread > 0
    ? { kind: 'overlay', file: overlayFile(unread), description: unreadText(strings, unread) }
    : { kind: 'overlay', file: null, description: '' };
}
