/**
 * The packaging check's rules (test/integration/packaging/asar-rules.ts) on file lists made up
 * for each case, so every rule is seen to catch what it is for, not only to pass on a clean asar.
 */
import { describe, expect, it } from 'vitest';
import { forbiddenFiles, packagedPackages, runtimeRequires } from '../../integration/packaging/asar-rules.js';

const CLEAN = [
  '/dist',
  '/dist/main',
  '/dist/main/electron-main.cjs',
  '/dist/renderer/index.html',
  '/dist/renderer/assets/font-AB12.woff2',
  '/node_modules',
  '/node_modules/ws',
  '/node_modules/ws/package.json',
  '/node_modules/ws/lib/websocket.js',
  '/node_modules/@scope/tool/package.json',
  '/node_modules/@scope/tool/node_modules/inner/package.json',
  '/package.json',
];

describe('asar rules', () => {
  it('find nothing wrong in a list of bundles, runtime packages and the manifest', () => {
    expect(forbiddenFiles(CLEAN, ['vitest', 'typescript'])).toEqual([]);
  });

  it('name every source, source map, test and file outside dist/, node_modules/ and package.json', () => {
    const files = [
      ...CLEAN,
      '/main/electron/electron-main.ts',
      '/renderer/App.tsx',
      '/dist/renderer/app.js.map',
      '/node_modules/ws/lib/index.d.ts',
      '/node_modules/ws/test/websocket.test.js',
      '/node_modules/ws/tests',
      '/dist/main/helpers.spec.cjs',
    ];
    expect(forbiddenFiles(files, [])).toEqual([
      'outside dist/, node_modules/ and package.json: /main/electron/electron-main.ts',
      'source file: /main/electron/electron-main.ts',
      'outside dist/, node_modules/ and package.json: /renderer/App.tsx',
      'source file: /renderer/App.tsx',
      'source map: /dist/renderer/app.js.map',
      'source file: /node_modules/ws/lib/index.d.ts',
      'test: /node_modules/ws/test/websocket.test.js',
      'test: /node_modules/ws/tests',
      'test: /dist/main/helpers.spec.cjs',
    ]);
  });

  it('name every dev dependency, nested ones and scoped ones too', () => {
    const files = [...CLEAN, '/node_modules/vitest/package.json', '/node_modules/ws/node_modules/typescript/package.json'];
    expect(forbiddenFiles(files, ['vitest', 'typescript', '@scope/tool'])).toEqual([
      'dev dependency: @scope/tool',
      'dev dependency: typescript',
      'dev dependency: vitest',
    ]);
  });

  it('list packages by their package.json, at any depth', () => {
    expect(packagedPackages(CLEAN)).toEqual(['@scope/tool', 'inner', 'ws']);
  });

  it("read a bundle's run-time packages from its require() calls, without Node's built-ins, Electron or relative files", () => {
    const bundle = [
      'var a=require("node:fs"),b=require("path"),c=require("electron");',
      'const d=require("ws"),e=require( \'@scope/tool/sub/file.js\' ),f=require("./chunk.cjs");',
      'require("ws/lib/websocket.js");require("better-sqlite3-multiple-ciphers")',
    ].join('\n');
    expect(runtimeRequires(bundle)).toEqual(['@scope/tool', 'better-sqlite3-multiple-ciphers', 'ws']);
  });
});
