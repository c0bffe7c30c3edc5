/**
 * The Electron host on the desktop, with the stand-in electron module (fixtures/fake-electron.ts)
 * and a scripted core in the real worker relay (fixtures/desktop-core-worker.ts): started as
 * `--profile <dir> --offline`, it must keep its single-instance lock and window state in that
 * profile, open the window back on screen, hand a second launch over to the first window, show
 * notifications of live messages (and open the conversation when one is clicked), count unread
 * messages on the badge and the tray, and switch Work offline from the tray. Electron itself is
 * never loaded.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WINDOW_STATE_FILE } from '../../../main/common/window-state.js';
import { IPC_EVENT } from '../../../preload/allowed-methods.js';
import type { AppCallResult } from '../../../sync/app-api/dispatcher.js';
import { buildTestDist } from './fixtures/build-dist.js';
import type { FakeElectronGlobals, FakeElectronRecord, FakeWindow } from './fixtures/fake-electron.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const fakeGlobals = globalThis as FakeElectronGlobals;
let tempDir: string;
let profileDir: string;
let stateFile: string;
let bundle: string;
let removeDist: () => void;
let fake: FakeElectronRecord;
const signalsBefore = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
/** The one screen there is. */
const workArea = { x: 0, y: 0, width: 1920, height: 1040 };

async function until<T>(probe: () => T, what: string): Promise<NonNullable<T>> {
  for (let i = 0; i < 2000; i++) {
    const value = probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** Loads a copy of the bundled electron-main.ts as if launched with `args`; returns its fake electron's record. */
function launch(args: string[], lock: boolean): FakeElectronRecord {
  const copy = path.join(path.dirname(bundle), `electron-main-${Math.random().toString(36).slice(2)}.cjs`);
  copyFileSync(bundle, copy);
  const argv = process.argv;
  process.argv = [...argv, ...args];
  fakeGlobals.__fakeElectronLock = lock;
  fakeGlobals.__fakeElectronWorkAreas = [workArea];
  try {
    createRequire(import.meta.url)(copy);
  } finally {
    process.argv = argv;
  }
  return fakeGlobals.__fakeElectron!;
}

function invoke(method: string, args: unknown): Promise<AppCallResult> {
  const handler = fake.ipcHandlers.get('app-api:invoke')!;
  return handler({ senderFrame: { url: 'app://messenger/index.html' } }, method, args) as Promise<AppCallResult>;
}

/**
 * Returns once the host has dealt with what the core told it before: the host asked its questions
 * when the events came (before the reply to the call that caused them), and the core answers in order.
 */
async function dealtWith(): Promise<void> {
  await invoke('getDefaults', {});
}

const tray = () => fake.trays[0]!;
const menuLabels = () => tray().menu.map((item) => item.label ?? item.type);
const workOfflineItem = () => tray().menu.find((item) => item.label === 'Work offline')!;
const firstWindow = (): FakeWindow => fake.windows[0]!;

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'electron-desktop-'));
  profileDir = path.join(tempDir, 'profile-a');
  stateFile = path.join(profileDir, 'electron', WINDOW_STATE_FILE);
  // Last time the window was maximized on a second screen that is gone now.
  mkdirSync(path.dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, JSON.stringify({ x: 2400, y: 300, width: 1200, height: 800, maximized: true }));

  const built = await buildTestDist();
  removeDist = built.remove;
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' } as const;
  bundle = path.join(built.distDir, 'main', 'electron-main-under-test.cjs');
  await Promise.all([
    // The scripted core takes the real one's place in dist/.
    esbuild.build({
      ...common,
      entryPoints: [path.join(fixtures, 'desktop-core-worker.ts')],
      outfile: path.join(built.distDir, 'main', 'core-worker.cjs'),
      external: ['better-sqlite3-multiple-ciphers', 'ws'],
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.resolve(import.meta.dirname, '../../../main/electron/electron-main.ts')],
      outfile: bundle,
      alias: { electron: path.join(fixtures, 'fake-electron.ts') },
      external: ['better-sqlite3-multiple-ciphers', 'ws'],
      banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
      define: { 'import.meta.url': '__import_meta_url' },
    }),
  ]);
  fakeGlobals.__fakeElectronUserData = path.join(tempDir, 'default-user-data');
  fake = launch(['--profile', profileDir, '--offline'], true);
  fake.resolveReady();
  await until(() => fake.trays.length > 0 || fake.errorBoxes.length > 0, 'the window and the tray');
  expect(fake.errorBoxes).toEqual([]);
});

afterAll(async () => {
  if (fake && fake.exitCodes.length === 0) {
    fake.app.emit('will-quit', { preventDefault: () => undefined });
    await until(() => fake.exitCodes.length > 0, 'the app to exit');
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalsBefore[signal].includes(listener)) process.off(signal, listener);
    }
  }
  rmSync(tempDir, { recursive: true, force: true });
  removeDist?.();
});

describe('the Electron host on the desktop (stand-in electron)', () => {
  it('keeps the single-instance lock and the window state in the --profile folder', () => {
    // The lock is Electron's per userData: set from --profile before it is asked for, so profiles run side by side.
    expect(fake.lockUserData).toBe(path.join(profileDir, 'electron'));
  });

  it('opens the window where it was, moved back onto the screen there is, and maximized again', () => {
    const options = firstWindow().options as { x: number; y: number; width: number; height: number };
    expect(options).toMatchObject({ width: 1200, height: 800, x: (1920 - 1200) / 2, y: (1040 - 800) / 2 });
    firstWindow().window.emit('ready-to-show');
    expect(firstWindow().calls).toEqual(['maximize', 'show']);
  });

  it('checks the composer’s spelling in the languages it has dictionaries for', () => {
    expect(fake.spellCheckerLanguages).toEqual(['en-US', 'ru']);
  });

  it('shows the tray menu; --offline started with Work offline on, and the tray switches it', async () => {
    await until(() => workOfflineItem().checked, 'Work offline checked from --offline');
    expect(menuLabels()).toEqual(['Open', 'Work offline', 'separator', 'Quit']);
    expect(tray().tooltip).toBe('Messenger');

    workOfflineItem().click!();
    await until(() => workOfflineItem().checked === false, 'Work offline unchecked');
    expect(await invoke('getPreferences', {})).toMatchObject({ ok: true, result: { workOffline: false } });
  });

  it('notifies of a live message while the window is not focused; clicking opens its conversation', async () => {
    const window = firstWindow();
    window.state.focused = false;
    window.calls.length = 0;
    expect(await invoke('retryMessage', { messageId: 'm-ann-1' })).toEqual({ ok: true, result: null });
    const shown = await until(() => fake.notifications.find((n) => n.shown), 'a notification');
    // Linux notification servers read the body as markup: the text shows as typed.
    expect(shown.options).toEqual({ title: 'Ann', body: 'Hello there &lt;b&gt;friend&lt;/b&gt;', groupId: 'c-ann' });

    await until(() => fake.badgeCounts.at(-1) === 1, 'the badge at 1');
    expect(tray().tooltip).toBe('Messenger: 1 unread message');
    expect(path.basename(tray().image.path)).toBe('tray-unread.png');
    expect(existsSync(tray().image.path)).toBe(true);

    window.state.minimized = true;
    shown.click();
    expect(window.calls).toEqual(['restore', 'show', 'focus']);
    expect(window.sent).toContainEqual([IPC_EVENT, { type: 'open_conversation', conversationId: 'c-ann' }]);
  });

  it('names the group in the title, and stays quiet for a focused window and a muted conversation', async () => {
    firstWindow().state.focused = false;
    await invoke('retryMessage', { messageId: 'm-team-1' });
    await until(() => fake.notifications.some((n) => n.options.groupId === 'c-team'), 'the group’s notification');
    expect(fake.notifications.find((n) => n.options.groupId === 'c-team')!.options).toMatchObject({
      title: 'Ann in Team',
      body: 'Standup in five',
    });
    await invoke('retryMessage', { messageId: 'm-muted-1' });
    await dealtWith();
    firstWindow().state.focused = true;
    await invoke('retryMessage', { messageId: 'm-ann-1' });
    await dealtWith();
    // 3 unread: the muted conversation's message is left out.
    await until(() => fake.badgeCounts.at(-1) === 3, 'the badge at 3');
    expect(fake.notifications.map((n) => n.options.groupId)).toEqual(['c-ann', 'c-team']);
  });

  it('clears the badge and closes the conversation’s notification once it is read', async () => {
    const team = fake.notifications.find((n) => n.options.groupId === 'c-team')!;
    await invoke('markRead', { conversationId: 'c-team' });
    await until(() => team.closed, 'the group’s notification closed');
    await invoke('markRead', { conversationId: 'c-ann' });
    await until(() => fake.badgeCounts.at(-1) === 0, 'the badge at 0');
    expect(tray().tooltip).toBe('Messenger');
    expect(path.basename(tray().image.path)).toBe('tray.png');
  });

  it('rings with a notification while the window is not focused, and grants the camera and the screen only once the call is accepted or a group call joined', async () => {
    const page = 'app://messenger/index.html';
    const mediaRequest = (mediaTypes: string[]) =>
      new Promise<boolean>((resolve) =>
        fake.permissionRequestHandler!({}, 'media', resolve, { mediaTypes, requestingUrl: page }),
      );
    const shareRequest = () =>
      new Promise<unknown>((resolve) => fake.displayMediaRequestHandler!({ frame: { url: page } }, resolve));
    expect(await mediaRequest(['audio'])).toBe(true);
    expect(await mediaRequest(['audio', 'video'])).toBe(false);

    firstWindow().state.focused = false;
    const before = fake.notifications.length;
    await invoke('startCall', { conversationId: 'c-ann', media: 'video' });
    const ring = await until(() => fake.notifications.slice(before).find((n) => n.shown), 'the call’s notification');
    expect(ring.options).toEqual({ title: 'Ann', body: 'Incoming video call' });
    // Ringing is not accepting: still no camera, no screen.
    expect(await mediaRequest(['audio', 'video'])).toBe(false);
    expect(await shareRequest()).toEqual({});
    expect(fake.messageBoxes).toEqual([]);

    await invoke('acceptCall', { callId: 'a'.repeat(32), media: 'video' });
    await dealtWith();
    await until(() => ring.closed, 'the call’s notification closed once answered');
    expect(await mediaRequest(['audio', 'video'])).toBe(true);
    fake.messageBoxAnswer = 1;
    expect(await shareRequest()).toEqual({ video: { id: 'window:42:0', name: 'Notes' } });
    expect(fake.messageBoxes).toEqual([
      {
        type: 'question',
        message: 'Choose a screen or window to share',
        buttons: ['Entire screen', 'Notes', 'Cancel'],
        cancelId: 2,
      },
    ]);

    await invoke('hangUpCall', { callId: 'a'.repeat(32) });
    await dealtWith();
    expect(await mediaRequest(['audio', 'video'])).toBe(false);
    firstWindow().state.focused = true;

    // A group call joined here grants them too, until it is left.
    await invoke('joinGroupCall', { conversationId: 'c-team', media: 'video' });
    await dealtWith();
    expect(await mediaRequest(['audio', 'video'])).toBe(true);
    await invoke('leaveGroupCall', { callId: 'b'.repeat(32) });
    await dealtWith();
    expect(await mediaRequest(['audio', 'video'])).toBe(false);
    expect(await shareRequest()).toEqual({});
  });

  it('hands a second launch over to the first window: restored, shown and focused', () => {
    const window = firstWindow();
    window.state = { ...window.state, minimized: true, focused: false };
    window.calls.length = 0;
    fake.app.emit('second-instance', {}, ['electron', '.', '--profile', profileDir], tempDir, {});
    expect(window.calls).toEqual(['restore', 'show', 'focus']);
    expect(fake.windows).toHaveLength(1);
  });

  it('a second launch of the same profile gets no lock and quits without opening anything', () => {
    const first = fake;
    const second = launch(['--profile', profileDir], false);
    fakeGlobals.__fakeElectron = first;
    expect(second).not.toBe(first);
    expect(second.lockUserData).toBe(path.join(profileDir, 'electron'));
    expect(second.quitCalls).toBe(1);
    expect(second.ipcHandlers.size).toBe(0);
    expect(second.windows).toEqual([]);
    expect(second.trays).toEqual([]);
  });

  it('saves the window’s size, place and maximized state as it closes; the next window opens there', () => {
    const window = firstWindow();
    window.state = { ...window.state, maximized: false, normalBounds: { x: 100, y: 120, width: 900, height: 700 } };
    window.window.close();
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual({ x: 100, y: 120, width: 900, height: 700, maximized: false });
    // macOS keeps the app running without windows; the dock icon opens a new one.
    fake.app.emit('activate');
    expect(fake.windows).toHaveLength(2);
    expect(fake.windows[1]!.options).toMatchObject({ x: 100, y: 120, width: 900, height: 700 });
  });
});
