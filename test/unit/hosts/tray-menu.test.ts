/** The tray's menu and tooltip, the unread total and the badge per system, and the pictures they use. */
import { Resvg } from '@resvg/resvg-js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DESKTOP_STRINGS } from '../../../main/common/desktop-strings.js';
import { overlayFile, TRAY_ICON, TRAY_ICON_UNREAD, trayArt } from '../../../main/electron/tray-art.js';
import { badgeFor, trayMenuTemplate, trayTooltip, unreadTotal } from '../../../main/electron/tray-menu.js';

const { en, ru } = DESKTOP_STRINGS;

describe('unreadTotal', () => {
  it('adds up unread messages as the window’s title does, muted conversations and message requests left out', () => {
    expect(
      unreadTotal([
        { muted: false, request: false, unreadCount: 2 },
        { muted: true, request: false, unreadCount: 40 },
        { muted: false, request: false, unreadCount: 0 },
        { muted: false, request: true, unreadCount: 7 },
        { muted: false, request: false, unreadCount: 3 },
      ]),
    ).toBe(5);
    expect(unreadTotal([])).toBe(0);
  });
});

describe('the tray menu', () => {
  it('offers Open, Work offline (a checkbox showing the preference) and Quit, each doing its job', () => {
    const done: string[] = [];
    const actions = {
      open: () => done.push('open'),
      setWorkOffline: (on: boolean) => done.push(`offline:${on}`),
      quit: () => done.push('quit'),
    };
    const menu = trayMenuTemplate(en, false, actions);
    expect(menu.map((item) => item.label ?? item.type)).toEqual(['Open', 'Work offline', 'separator', 'Quit']);
    expect(menu[1]).toMatchObject({ type: 'checkbox', checked: false });
    for (const item of menu) (item.click as (() => void) | undefined)?.();
    expect(done).toEqual(['open', 'offline:true', 'quit']);
    const offline = trayMenuTemplate(en, true, actions);
    expect(offline[1]!.checked).toBe(true);
    (offline[1]!.click as () => void)();
    expect(done.at(-1)).toBe('offline:false');
  });

  it('speaks the language of the preference', () => {
    const noop = { open() {}, setWorkOffline() {}, quit() {} };
    expect(trayMenuTemplate(ru, false, noop).map((item) => item.label)).toEqual([
      'Открыть',
      'Работать офлайн',
      undefined,
      'Выйти',
    ]);
    expect(trayTooltip(ru, 5)).toBe('Messenger: 5 непрочитанных сообщений');
  });

  it('says in the tooltip how much is unread', () => {
    expect(trayTooltip(en, 0)).toBe('Messenger');
    expect(trayTooltip(en, 1)).toBe('Messenger: 1 unread message');
  });
});

describe('the badge', () => {
  it('is a number on the dock (macOS) and the launcher (Linux), zero clearing it', () => {
    expect(badgeFor('darwin', en, 12)).toEqual({ kind: 'count', count: 12 });
    expect(badgeFor('linux', en, 0)).toEqual({ kind: 'count', count: 0 });
  });

  it('is an overlay picture on the Windows taskbar: 1 to 9, then 9+, none at zero', () => {
    expect(badgeFor('win32', en, 3)).toEqual({ kind: 'overlay', file: 'overlay-3.png', description: '3 unread messages' });
    expect(badgeFor('win32', en, 10)).toMatchObject({ file: 'overlay-9plus.png' });
    expect(badgeFor('win32', en, 0)).toEqual({ kind: 'overlay', file: null, description: '' });
    expect(overlayFile(250)).toBe('overlay-9plus.png');
  });
});

describe('the tray pictures', () => {
  const icon = readFileSync(path.resolve(import.meta.dirname, '../../../resources/icon.svg'), 'utf8');
  const art = trayArt(icon);

  it('has the tray icon, its unread form, and an overlay for every count the badge shows, at 1x and 2x', () => {
    const files = art.map((picture) => picture.file);
    for (const file of [TRAY_ICON, TRAY_ICON_UNREAD, ...Array.from({ length: 10 }, (_, i) => overlayFile(i + 1))]) {
      expect(files).toContain(file);
      expect(files).toContain(file.replace('.png', '@2x.png'));
    }
    expect(new Set(files).size).toBe(files.length);
  });

  it('renders each to a PNG of its size', () => {
    for (const picture of art) {
      const rendered = new Resvg(picture.svg, { fitTo: { mode: 'width', value: picture.size } }).render();
      expect([rendered.width, rendered.height], picture.file).toEqual([picture.size, picture.size]);
    }
  });
});
