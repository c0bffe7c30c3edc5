/**
 * Words the Electron main process shows itself (the tray, native notifications, the taskbar
 * overlay's description), in every language the app speaks. The renderer's words live in
 * renderer/i18n; these never reach the page. The language follows the device preference, or with
 * 'system' the system's languages (pickLanguage, the renderer's own rule).
 */
import type { Language, LanguageChoice } from '../../sync/app-api/preferences.js';
import { pickLanguage } from '../../renderer/i18n/pick.js';
import { plural, type PluralForms } from '../../renderer/i18n/plural.js';

export interface DesktopStrings {
  /** BCP 47 tag for the plural rules. */
  locale: string;
  /** Tray menu. */
  open: string;
  workOffline: string;
  quit: string;
  /** The tray's tooltip with nothing unread. */
  appName: string;
  /** "3 unread messages": the tray's tooltip and the taskbar overlay's description. */
  unread: PluralForms;
  /** A notification's title for a group: who wrote, and where. */
  senderInGroup: (sender: string, group: string) => string;
  /** A notification's text with previews off (or nothing else to show). */
  newMessage: string;
  /** A notification's text for a message with only files, as the conversation list names them. */
  photo: string;
  voice: string;
  /** A notification's text for a call ringing while the window is not in front; its title is the caller. */
  incomingVoiceCall: string;
  incomingVideoCall: string;
  /** A notification's text for a call nobody answered; its title is the conversation. */
  missedVoiceCall: string;
  missedVideoCall: string;
  /** A notification's text for a call someone started in a group; its title is the group. */
  voiceCallStarted: string;
  videoCallStarted: string;
  /** The screen share picker's question, and its button to share nothing. */
  shareScreen: string;
  cancel: string;
}

const en: DesktopStrings = {
  locale: 'en',
  open: 'Open',
  workOffline: 'Work offline',
  quit: 'Quit',
  appName: 'Messenger',
  unread: { one: '{n} unread message', other: '{n} unread messages' },
  senderInGroup: (sender, group) => `${sender} in ${group}`,
  newMessage: 'New message',
  photo: 'Photo',
  voice: 'Voice message',
  incomingVoiceCall: 'Incoming voice call',
  incomingVideoCall: 'Incoming video call',
  missedVoiceCall: 'Missed voice call',
  missedVideoCall: 'Missed video call',
  voiceCallStarted: 'Voice call started',
  videoCallStarted: 'Video call started',
  shareScreen: 'Choose a screen or window to share',
  cancel: 'Cancel',
};

const ru: DesktopStrings = {
  locale: 'ru',
  open: 'Открыть',
  workOffline: 'Работать офлайн',
  quit: 'Выйти',
  appName: 'Messenger',
  unread: {
    one: '{n} непрочитанное сообщение',
    few: '{n} непрочитанных сообщения',
    many: '{n} непрочитанных сообщений',
    other: '{n} непрочитанного сообщения',
  },
  senderInGroup: (sender, group) => `${sender} в группе «${group}»`,
  newMessage: 'Новое сообщение',
  photo: 'Фото',
  voice: 'Голосовое сообщение',
  incomingVoiceCall: 'Входящий аудиозвонок',
  incomingVideoCall: 'Входящий видеозвонок',
  missedVoiceCall: 'Пропущенный аудиозвонок',
  missedVideoCall: 'Пропущенный видеозвонок',
  voiceCallStarted: 'Аудиозвонок начат',
  videoCallStarted: 'Видеозвонок начат',
  shareScreen: 'Выберите экран или окно для показа',
  cancel: 'Отмена',
};

const uk: DesktopStrings = {
  locale: 'uk',
  open: 'Відкрити',
  workOffline: 'Працювати офлайн',
  quit: 'Вийти',
  appName: 'Messenger',
  unread: {
    one: '{n} непрочитане повідомлення',
    few: '{n} непрочитані повідомлення',
    many: '{n} непрочитаних повідомлень',
    other: '{n} непрочитаного повідомлення',
  },
  senderInGroup: (sender, group) => `${sender} у групі «${group}»`,
  newMessage: 'Нове повідомлення',
  photo: 'Фото',
  voice: 'Голосове повідомлення',
  incomingVoiceCall: 'Вхідний аудіодзвінок',
  incomingVideoCall: 'Вхідний відеодзвінок',
  missedVoiceCall: 'Пропущений аудіодзвінок',
  missedVideoCall: 'Пропущений відеодзвінок',
  voiceCallStarted: 'Аудіодзвінок розпочато',
  videoCallStarted: 'Відеодзвінок розпочато',
  shareScreen: 'Виберіть екран або вікно для показу',
  cancel: 'Скасувати',
};

export const DESKTOP_STRINGS: Readonly<Record<Language, DesktopStrings>> = { en, ru, uk };

/** The main process's words for the device preference, given the system's languages (most preferred first). */
export function desktopStrings(choice: LanguageChoice, systemLanguages: readonly string[]): DesktopStrings {
  return DESKTOP_STRINGS[pickLanguage(choice, systemLanguages)];
}

/** "5 unread messages" in the strings' language. */
export function unreadText(strings: DesktopStrings, n: number): string {
  return plural(strings.locale, n, strings.unread).replace('{n}', n.toLocaleString(strings.locale));
}
