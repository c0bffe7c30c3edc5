/**
 * Logs and About in the Electron host, with the stand-in electron module (fixtures/fake-electron.ts)
 * and the real core worker: started with `--profile <dir> --log-level debug`, the main process and
 * the core write to <profile>/logs; "Export logs" (IPC, app frames only) shows a save dialog and
 * writes the export where the person chose; getAbout names the Electron and Chromium of the main
 * process, the core's SQLite and the mirror's schema. Electron itself is never loaded.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_FILE_NAME } from '../../../main/common/logging-rotation.js';
import { IPC_EXPORT_LOGS } from '../../../preload/allowed-methods.js';
import type { AboutView } from '../../../sync/app-api/contract.js';
import type { AppCallResult } from '../../../sync/app-api/dispatcher.js';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import packageJson from '../../../package.json' with { type: 'json' };
import { buildTestDist } from './fixtures/build-dist.js';
import type { FakeElectronGlobals, FakeElectronRecord } from './fixtures/fake-electron.js';

const fakeGlobals = globalThis as FakeElectronGlobals;
let tempDir: string;
let profileDir: string;
let downloads: string;
let removeDist: () => void;
let fake: FakeElectronRecord;
const signalsBefore = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
/** What the main process reports as its Electron and Chromium (plain Node has neither). */
const ELECTRON = '45.4.1';
const CHROME = '140.0.7339.41';

const trusted = { senderFrame: { url: 'app://messenger/index.html' } };
const exportLogs = (event: unknown) => fake.ipcHandlers.get(IPC_EXPORT_LOGS)!(event) as Promise<string>;
const logLines = () =>
  readFileSync(path.join(profileDir, 'logs', LOG_FILE_NAME), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { name: string; msg: string; level: number });

async function until(probe: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

beforeAll(async () => {
  tempDir = mkdtempSync(path.join(tmpdir(), 'electron-logs-'));
  profileDir = path.join(tempDir, 'profile');
  downloads = path.join(tempDir, 'Downloads');
  mkdirSync(downloads);
  const built = await buildTestDist();
  removeDist = built.remove;
  const bundle = path.join(built.distDir, 'main', 'electron-main-under-test.cjs');
  await esbuild.build({
    entryPoints: [path.resolve(import.meta.dirname, '../../../main/electron/electron-main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    alias: { electron: path.join(import.meta.dirname, 'fixtures', 'fake-electron.ts') },
    external: ['better-sqlite3-multiple-ciphers', 'ws'],
    banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__import_meta_url' },
    logLevel: 'warning',
  });
  fakeGlobals.__fakeElectronUserData = path.join(tempDir, 'user-data');
  const argv = process.argv;
  process.argv = [...argv, '--profile', profileDir, '--log-level', 'debug'];
  // As Electron's main process would report them, while the host reads them at start.
  for (const [name, value] of [
    ['electron', ELECTRON],
    ['chrome', CHROME],
  ]) {
    Object.defineProperty(process.versions, name!, { value, configurable: true, enumerable: true });
  }
  try {
    createRequire(import.meta.url)(bundle);
  } finally {
    process.argv = argv;
    delete (process.versions as Record<string, string | undefined>).electron;
    delete (process.versions as Record<string, string | undefined>).chrome;
  }
  fake = fakeGlobals.__fakeElectron!;
  fake.paths.downloads = downloads;
  fake.resolveReady();
  await until(() => fake.windows.length > 0 || fake.errorBoxes.length > 0, 'the window');
}, 120_000);

afterAll(async () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalsBefore[signal].includes(listener)) process.off(signal, listener);
    }
  }
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  removeDist?.();
});

describe('logs and About in the Electron host', () => {
  it('writes the main process’s and the core’s lines to the profile’s logs, at the level asked for', async () => {
    expect(fake.errorBoxes).toEqual([]);
    await until(() => logLines().some((line) => line.msg === 'client core opened'), 'the core’s first line');
    const lines = logLines();
    expect(lines).toContainEqual(
      expect.objectContaining({ name: 'electron', msg: 'electron host starting', electron: ELECTRON }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ name: 'core', msg: 'client core opened', signedIn: false }));
    // The host read --log-level (and handed it to the core worker with its versions).
    expect(lines.find((line) => line.msg === 'electron host starting')).toMatchObject({ logLevel: 'debug' });
  });

  it('answers getAbout with the main process’s Electron and Chromium, the core’s SQLite and schema', async () => {
    const invoke = fake.ipcHandlers.get('app-api:invoke')!;
    const reply = (await invoke(trusted, 'getAbout', {})) as AppCallResult;
    expect(reply.ok).toBe(true);
    const about = (reply as { result: AboutView }).result;
    expect(about).toEqual({
      app: packageJson.version,
      electron: ELECTRON,
      chromium: CHROME,
      node: process.versions.node,
      sqlite: expect.stringMatching(/^3\.\d+\.\d+$/) as unknown,
      schemaVersion: MIRROR_MIGRATIONS.length,
    });
  });

  it('exports the logs through a save dialog, for the app’s own frames only', async () => {
    // A frame that is not the app: refused before any dialog shows.
    expect(await exportLogs({ senderFrame: { url: 'https://evil.example/' } })).toBe('failed');
    expect(await exportLogs({ senderFrame: null })).toBe('failed');
    expect(fake.saveDialogs).toEqual([]);

    fake.saveDialogAnswer = { canceled: true, filePath: '' };
    expect(await exportLogs(trusted)).toBe('cancelled');
    expect(fake.saveDialogs).toHaveLength(1);
    const proposed = (fake.saveDialogs[0] as { defaultPath: string }).defaultPath;
    expect(path.dirname(proposed)).toBe(downloads);
    expect(path.basename(proposed)).toMatch(/^messenger-logs-\d{4}-\d{2}-\d{2}-\d{6}\.log$/);

    const chosen = path.join(tempDir, 'for-the-bug-report.log');
    fake.saveDialogAnswer = { canceled: false, filePath: chosen };
    expect(await exportLogs(trusted)).toBe('saved');
    const text = readFileSync(chosen, 'utf8');
    expect(text).toContain(`# app: ${packageJson.version}\n# electron: ${ELECTRON}\n# chromium: ${CHROME}\n`);
    expect(text).toContain(`# --- ${LOG_FILE_NAME} ---\n`);
    expect(text).toContain('"msg":"electron host starting"');
    expect(text).toContain('"msg":"client core opened"');

    // Somewhere that cannot be written: said so, nothing left behind.
    const impossible = path.join(tempDir, 'no-such-folder', 'logs.log');
    fake.saveDialogAnswer = { canceled: false, filePath: impossible };
    expect(await exportLogs(trusted)).toBe('failed');
    expect(existsSync(impossible)).toBe(false);
    expect(logLines()).toContainEqual(expect.objectContaining({ msg: 'the exported logs could not be written', level: 50 }));
  });

  it('logs its stop, then exits 0', async () => {
    fake.app.emit('will-quit', { preventDefault() {} });
    await until(() => fake.exitCodes.length > 0, 'the exit');
    expect(fake.exitCodes).toEqual([0]);
    expect(logLines().map((line) => line.msg)).toEqual(expect.arrayContaining(['electron host stopping', 'client core closing']));
  });
});
