import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layering lint must fail the build when a rule is broken. These tests run the real
 * dependency-cruiser with the project's own configuration over small fixture trees.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'lint-rules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function lint(name: string, files: Record<string, string>): { status: number | null; output: string } {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', jsx: 'react-jsx' } }),
  );
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const roots = [...new Set(Object.keys(files).map((path) => path.split('/')[0]!))];
  const result = spawnSync(join(ROOT, 'node_modules/.bin/depcruise'), ['--config', '.dependency-cruiser.cjs', ...roots], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('layering lint', () => {
  it('passes a tree that keeps the rules', () => {
    const result = lint('clean', {
      'sync/protocol/frames.ts': 'export const frame = 1;\n',
      'sync/client/core.ts':
        "import { frame } from '../protocol/frames.js';\nimport { readFileSync } from 'node:fs';\nexport const x = [frame, readFileSync];\n",
      'renderer/app.tsx':
        "import { frame } from '../sync/protocol/frames.js';\nimport { create } from 'zustand';\nexport const y = [frame, create];\n",
    });
    expect(result.output).toContain('no dependency violations');
    expect(result.status).toBe(0);
  });

  it('fails when the renderer imports a node built-in, better-sqlite3, ws, electron or impure sync code', () => {
    const result = lint('renderer', {
      'renderer/fs.ts': "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n",
      'renderer/db.ts': "import Database from 'better-sqlite3-multiple-ciphers';\nexport const b = Database;\n",
      'renderer/socket.ts': "import WebSocket from 'ws';\nexport const c = WebSocket;\n",
      'renderer/shell.ts': "import { shell } from 'electron';\nexport const d = shell;\n",
      'renderer/core.ts': "import { e } from '../sync/client/core.js';\nexport const f = e;\n",
      'sync/client/core.ts': 'export const e = 1;\n',
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('renderer-no-node-builtins: renderer/fs.ts');
    expect(result.output).toMatch(/renderer-no-node-only-packages: renderer\/db\.ts/);
    expect(result.output).toMatch(/renderer-no-node-only-packages: renderer\/socket\.ts/);
    expect(result.output).toMatch(/renderer-no-node-only-packages: renderer\/shell\.ts/);
    expect(result.output).toContain('renderer-only-pure-sync: renderer/core.ts');
  });

  it('fails when sync/ imports electron, react or zustand', () => {
    const result = lint('sync', {
      'sync/client/a.ts': "import { app } from 'electron';\nexport const a = app;\n",
      'sync/client/b.ts': "import { useState } from 'react';\nexport const b = useState;\n",
      'sync/client/c.ts': "import { create } from 'zustand';\nexport const c = create;\n",
    });
    expect(result.status).not.toBe(0);
    for (const file of ['a', 'b', 'c']) expect(result.output).toContain(`sync-no-ui-or-electron: sync/client/${file}.ts`);
  });

  it('lets only main/electron and preload load the electron runtime; types are fine anywhere', () => {
    const result = lint('electron', {
      'main/electron/main.ts': "import { app } from 'electron';\nexport const a = app;\n",
      'preload/preload.ts': "import { contextBridge } from 'electron';\nexport const b = contextBridge;\n",
      'main/node/types-only.ts': "import type { BrowserWindow } from 'electron';\nexport type W = BrowserWindow;\n",
      'main/browser/host.ts': "import { app } from 'electron';\nexport const c = app;\n",
      'test/unit/host.test.ts': "import { ipcMain } from 'electron';\nexport const d = ipcMain;\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('electron-only-in-hosts: main/browser/host.ts');
    expect(result.output).toContain('electron-only-in-hosts: test/unit/host.test.ts');
    expect(result.output).not.toContain('main/electron/main.ts');
    expect(result.output).not.toContain('preload/preload.ts');
    expect(result.output).not.toContain('main/node/types-only.ts');
  });

  it('keeps the client core and the server apart: each shares only pure modules', () => {
    const result = lint('client-server', {
      'sync/protocol/frames.ts': 'export const frame = 1;\n',
      'sync/server/store.ts': "import { frame } from '../protocol/frames.js';\nexport const store = frame;\n",
      'sync/client/uses-server.ts': "import { store } from '../server/store.js';\nexport const a = store;\n",
      'sync/server/uses-client.ts': "import { a } from '../client/uses-server.js';\nexport const b = a;\n",
      'sync/server/uploads.ts': "import { Upload } from 'tus-js-client';\nexport const c = Upload;\n",
      'sync/client/uploads.ts': "import { Server } from '@tus/server';\nexport const d = Server;\n",
      'renderer/upload.ts': "import { Upload } from 'tus-js-client';\nexport const e = Upload;\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('client-not-server: sync/client/uses-server.ts');
    expect(result.output).toContain('server-not-client: sync/server/uses-client.ts');
    expect(result.output).toContain('server-not-client: sync/server/uploads.ts');
    expect(result.output).toContain('client-no-server-packages: sync/client/uploads.ts');
    expect(result.output).toMatch(/renderer-no-node-only-packages: renderer\/upload\.ts/);
    expect(result.output).not.toMatch(/: sync\/server\/store\.ts →/);
  });

  it('keeps the server blind: it loads neither libsignal nor the content schema, which stays pure', () => {
    const result = lint('blind-server', {
      'sync/content/device-messages.ts': 'export const kinds = 1;\n',
      'sync/server/reads.ts': "import { kinds } from '../content/device-messages.js';\nexport const a = kinds;\n",
      'sync/server/decrypts.ts': "import { groupDecrypt } from '@signalapp/libsignal-client';\nexport const b = groupDecrypt;\n",
      'sync/client/composer.ts': "import { groupEncrypt } from '@signalapp/libsignal-client';\nexport const c = groupEncrypt;\n",
      'sync/client/crypto/sender.ts':
        "import { groupEncrypt } from '@signalapp/libsignal-client';\nimport { kinds } from '../../content/device-messages.js';\nexport const d = [groupEncrypt, kinds];\n",
      'sync/content/rules.ts': "import { d } from '../client/crypto/sender.js';\nexport const e = d;\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('server-knows-no-content: sync/server/reads.ts');
    expect(result.output).toContain('server-is-blind: sync/server/decrypts.ts');
    expect(result.output).toContain('signal-only-in-client-crypto: sync/client/composer.ts');
    expect(result.output).toContain('content-is-pure: sync/content/rules.ts');
    expect(result.output).not.toMatch(/: sync\/client\/crypto\/sender\.ts →/);
  });

  it('fails on an import cycle', () => {
    const result = lint('cycle', {
      'sync/client/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'sync/client/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('no-circular');
  });

  it('fails when the server loads the link preview fetcher or its HTML parser (only senders fetch pages)', () => {
    const result = lint('server-previews', {
      'sync/server/a.ts': "import { fetchPage } from '../node/link-preview/fetcher.js';\nexport const a = fetchPage;\n",
      'sync/server/b.ts': "import { Parser } from 'htmlparser2';\nexport const b = Parser;\n",
      'sync/node/link-preview/fetcher.ts': 'export const fetchPage = 1;\n',
      'sync/client/c.ts': "import { fetchPage } from '../node/link-preview/fetcher.js';\nexport const c = fetchPage;\n",
    });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('server-never-fetches-pages: sync/server/a.ts');
    expect(result.output).toContain('server-never-fetches-pages: sync/server/b.ts');
    expect(result.output).not.toContain('sync/client/c.ts');
  });
});
