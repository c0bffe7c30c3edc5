/**
 * The CI packaging check: what `npm run dist -- --linux dir` makes, made with electron-builder's
 * API from electron-builder.yml against a stand-in Electron (no Electron binary can be downloaded
 * here), then read back. check-config.ts lists what differs from a release build and why;
 * docs/packaging.md says what a release machine does beyond this.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractAll, extractFile, listPackage, statFile } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { FuseState } from '@electron/fuses/dist/constants.js';
import { convertIcon } from 'app-builder-lib/out/util/iconConverter.js';
import { build as electronBuilder, DIR_TARGET, Platform } from 'electron-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT } from '../../../main/common/defaults.js';
import { build } from '../../../scripts/build.js';
import { ICNS_FILE, ICO_FILE, ICON_SOURCE, ICONS_DIR, PNG_SIZES, writeIcons } from '../../../scripts/icons.js';
import { forbiddenFiles, packagedPackages, runtimeRequires } from './asar-rules.js';
import { packagingCheckConfig } from './check-config.js';
import { dependencyClosure } from './dependency-closure.js';
import { ELECTRON_FUSE_DEFAULTS, writeStandInElectron } from './stand-in-electron.js';
import type { Configuration, FuseOptionsV1 } from 'app-builder-lib';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * The packaged app's app.asar plus app.asar.unpacked may not grow past this. Measured at 7.0 MB
 * (asar 4.2 MB: the bundles, the emoji data and font; unpacked 2.7 MB: the SQLite module), with
 * about 25% headroom; then grown by exactly libsignal's native binary for linux-x64, which
 * end-to-end encryption needs (docs/e2ee-design.md); by sharp's binding and libvips for
 * linux-x64, which stickers and map snapshots are made with; and by maplibre-gl's module, worker
 * and CSS (1.71 MB), the interactive map. Raise it on purpose, saying what grew.
 */
const SIZE_BUDGET_BYTES = 8_700_000 + 27_026_320 + 415_112 + 18_699_288 + 1_710_000;

/** Where libsignal keeps its prebuilt binaries, one folder per system and architecture. */
const LIBSIGNAL_PREBUILDS = '/node_modules/@signalapp/libsignal-client/prebuilds/';

/** electron-builder.yml's fuse names, and the wire position @electron/fuses gives each. */
const FUSE_POSITIONS: Record<Exclude<keyof FuseOptionsV1, 'resetAdHocDarwinSignature'>, FuseV1Options> = {
  runAsNode: FuseV1Options.RunAsNode,
  enableCookieEncryption: FuseV1Options.EnableCookieEncryption,
  enableNodeOptionsEnvironmentVariable: FuseV1Options.EnableNodeOptionsEnvironmentVariable,
  enableNodeCliInspectArguments: FuseV1Options.EnableNodeCliInspectArguments,
  enableEmbeddedAsarIntegrityValidation: FuseV1Options.EnableEmbeddedAsarIntegrityValidation,
  onlyLoadAppFromAsar: FuseV1Options.OnlyLoadAppFromAsar,
  loadBrowserProcessSpecificV8Snapshot: FuseV1Options.LoadBrowserProcessSpecificV8Snapshot,
  grantFileProtocolExtraPrivileges: FuseV1Options.GrantFileProtocolExtraPrivileges,
};

let work: string;
let config: Configuration;
/** release/<platform>-unpacked: the folder a Linux package is made from. */
let appOutDir: string;
let asar: string;
let unpackedDir: string;
/** The asar's entries, "/dist/main/x.cjs" style. */
let files: string[];

function sizeOf(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((total, name) => total + sizeOf(path.join(target, name)), 0);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'packaging-check-'));
  const distDir = path.join(work, 'dist');
  const electronDist = path.join(work, 'electron-dist');
  const outputDir = path.join(work, 'release');
  // What `npm run dist` builds (`npm run build -- --production`), into the check's own folder.
  await build({ rootDir: ROOT, outDir: distDir, production: true });
  config = await packagingCheckConfig(ROOT, { distDir, electronDist, outputDir });
  writeStandInElectron(electronDist, config.electronVersion!);
  // electron-builder reads a config given as an object on top of electron-builder.yml (arrays
  // concatenated); given as a file, it reads that file alone.
  const configFile = path.join(work, 'electron-builder.json');
  writeFileSync(configFile, JSON.stringify(config));
  await electronBuilder({
    projectDir: ROOT,
    config: configFile,
    targets: Platform.LINUX.createTarget(DIR_TARGET),
    publish: 'never',
  });

  const unpacked = readdirSync(outputDir).filter((name) => name.endsWith('-unpacked'));
  expect(unpacked).toHaveLength(1);
  appOutDir = path.join(outputDir, unpacked[0]!);
  asar = path.join(appOutDir, 'resources', 'app.asar');
  unpackedDir = `${asar}.unpacked`;
  files = listPackage(asar, { isPack: false });
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packaging check (npm run dist -- --linux dir, stand-in Electron)', () => {
  it("packs the app's entry points (package.json's main among them) and not the browser host", () => {
    const manifest = JSON.parse(extractFile(asar, 'package.json').toString('utf8')) as { main?: string };
    const entryPoints = [
      BUILT.electronMain,
      BUILT.preload,
      BUILT.coreWorker,
      `${BUILT.rendererDir}/index.html`,
      `${BUILT.rendererDir}/app.js`,
      `${BUILT.rendererDir}/app.css`,
    ].map((file) => `/dist/${file}`);
    expect(`/${manifest.main}`).toBe(`/dist/${BUILT.electronMain}`);
    expect(files).toEqual(expect.arrayContaining(entryPoints));
    expect(files).not.toContain(`/dist/${BUILT.browserCli}`);
  });

  it('packs no sources, tests, source maps or dev dependencies, and nothing beside dist/, node_modules/ and package.json', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(forbiddenFiles(files, Object.keys(manifest.devDependencies))).toEqual([]);
  });

  it('packs only the packages the bundles load at run time (with their dependencies), and each loads from the packaged app', () => {
    const bundles = files.filter((file) => file.startsWith('/dist/') && file.endsWith('.cjs'));
    const needed = [...new Set(bundles.flatMap((file) => runtimeRequires(extractFile(asar, file.slice(1)).toString('utf8'))))];
    expect(needed).toContain('better-sqlite3-multiple-ciphers');

    // Nothing packaged that the bundles do not need (server packages, dev tools, what esbuild bundled).
    const closure = dependencyClosure(ROOT, needed);
    expect(packagedPackages(files).filter((name) => !closure.has(name))).toEqual([]);

    // And everything they need is there: required from the packaged tree alone, under Node (the
    // check's native module is node_modules' own build; see check-config.ts).
    const extracted = path.join(work, 'extracted');
    extractAll(asar, extracted);
    const probe = `
      const { createRequire } = require('node:module');
      const path = require('node:path');
      const [app, names] = [process.argv[1], JSON.parse(process.argv[2])];
      const requireFromApp = createRequire(path.join(app, 'dist', 'main', 'index.cjs'));
      for (const name of names) requireFromApp(name);
      const Database = requireFromApp('better-sqlite3-multiple-ciphers');
      const db = new Database(':memory:');
      process.stdout.write(db.prepare('select sqlite_version() as version').get().version);
      db.close();`;
    const env = { ...process.env };
    delete env.NODE_PATH;
    const sqliteVersion = execFileSync(process.execPath, ['-e', probe, extracted, JSON.stringify(needed)], {
      env,
      encoding: 'utf8',
    });
    expect(sqliteVersion).toMatch(/^3\.\d+\.\d+$/);
  });

  it('unpacks the native SQLite module next to the asar (a .node file cannot load from inside it)', () => {
    const nativeDir = path.join(unpackedDir, 'node_modules', 'better-sqlite3-multiple-ciphers', 'build', 'Release');
    const nativeFiles = existsSync(nativeDir) ? readdirSync(nativeDir).filter((name) => name.endsWith('.node')) : [];
    expect(nativeFiles).toEqual(['better_sqlite3.node']);
    // Every .node the asar lists is one the runtime reads from app.asar.unpacked.
    const listedNative = files.filter((file) => file.endsWith('.node'));
    expect(listedNative.length).toBeGreaterThan(0);
    for (const file of listedNative) {
      expect(statFile(asar, file.slice(1), false), file).toMatchObject({ unpacked: true });
      expect(existsSync(path.join(unpackedDir, file)), file).toBe(true);
    }
  });

  it('packs libsignal with the target’s native binary alone, unpacked, and it makes keys from the packaged app', () => {
    const prebuilds = files.filter((file) => file.startsWith(LIBSIGNAL_PREBUILDS) && file.endsWith('.node'));
    expect(prebuilds).toEqual([`${LIBSIGNAL_PREBUILDS}linux-${process.arch}/@signalapp+libsignal-client.node`]);
    expect(existsSync(path.join(unpackedDir, prebuilds[0]!))).toBe(true);

    const extracted = path.join(work, 'extracted-libsignal');
    extractAll(asar, extracted);
    const probe = `
      const { createRequire } = require('node:module');
      const path = require('node:path');
      const requireFromApp = createRequire(path.join(process.argv[1], 'dist', 'main', 'index.cjs'));
      const signal = requireFromApp('@signalapp/libsignal-client');
      const pair = signal.IdentityKeyPair.generate();
      process.stdout.write(String(pair.publicKey.serialize().length));`;
    const env = { ...process.env };
    delete env.NODE_PATH;
    expect(execFileSync(process.execPath, ['-e', probe, extracted], { env, encoding: 'utf8' })).toBe('33');
  });

  it('packs sharp with the target’s binding and libvips alone, unpacked, and it makes a sticker-sized WebP from the packaged app', () => {
    const native = files.filter((file) => file.startsWith('/node_modules/@img/sharp-') && /\.(node|so[.\d]*)$/.test(file));
    expect(native.map((file) => file.split('/')[3]).sort()).toEqual([
      `sharp-libvips-linux-${process.arch}`,
      `sharp-linux-${process.arch}`,
    ]);
    for (const file of native) expect(existsSync(path.join(unpackedDir, file)), file).toBe(true);

    const extracted = path.join(work, 'extracted-sharp');
    extractAll(asar, extracted);
    const probe = `
      const { createRequire } = require('node:module');
      const path = require('node:path');
      const requireFromApp = createRequire(path.join(process.argv[1], 'dist', 'main', 'index.cjs'));
      const sharp = requireFromApp('sharp');
      sharp({ create: { width: 512, height: 512, channels: 4, background: '#f00' } }).webp().toBuffer()
        .then((webp) => sharp(webp).metadata())
        .then((metadata) => process.stdout.write(metadata.format + ' ' + metadata.width));`;
    const env = { ...process.env };
    delete env.NODE_PATH;
    expect(execFileSync(process.execPath, ['-e', probe, extracted], { env, encoding: 'utf8' })).toBe('webp 512');
  });

  it("flips the packaged executable's fuses to electron-builder.yml's electronFuses", async () => {
    const executables = readdirSync(appOutDir).filter((name) => {
      const stat = statSync(path.join(appOutDir, name));
      return stat.isFile() && (stat.mode & 0o111) !== 0;
    });
    expect(executables).toHaveLength(1);
    const wire = await getCurrentFuseWire(path.join(appOutDir, executables[0]!));
    const expected: Record<string, number> = {};
    for (const [fuse, enabled] of Object.entries(ELECTRON_FUSE_DEFAULTS)) {
      expected[fuse] = enabled ? FuseState.ENABLE : FuseState.DISABLE;
    }
    const configured = Object.entries(config.electronFuses ?? {}).filter(([name]) => name !== 'resetAdHocDarwinSignature');
    expect(configured.length).toBeGreaterThan(0);
    for (const [name, enabled] of configured) {
      expected[FUSE_POSITIONS[name as keyof typeof FUSE_POSITIONS]] = enabled ? FuseState.ENABLE : FuseState.DISABLE;
    }
    expect(wire).toEqual({ version: '1', ...expected });
  });

  it('asks macOS for the microphone and the camera in words, with the hardened runtime’s entitlements for them and for V8', () => {
    const info = (config.mac?.extendInfo ?? {}) as Record<string, unknown>;
    expect(info['NSMicrophoneUsageDescription']).toMatch(/microphone/);
    expect(info['NSCameraUsageDescription']).toMatch(/camera/);
    expect(config.mac?.hardenedRuntime).toBe(true);
    for (const file of [config.mac?.entitlements, config.mac?.entitlementsInherit]) {
      expect(file).toBeTruthy();
      // Each <key> followed by its value element, as the plist file spells them.
      const text = readFileSync(path.join(ROOT, file!), 'utf8');
      const granted = [...text.matchAll(/<key>([^<]+)<\/key>\s*<(\w+)\/>/g)].map(([, key, value]) => [key, value]);
      expect(granted).toEqual([
        ['com.apple.security.cs.allow-jit', 'true'],
        ['com.apple.security.device.audio-input', 'true'],
        ['com.apple.security.device.camera', 'true'],
      ]);
    }
  });

  it('points electron-builder at the generated icons, in formats it uses without converting', async () => {
    // The icons as `npm run dist` makes them, under a stand-in project root.
    const iconsRoot = path.join(work, 'icons-project');
    await writeIcons(path.join(ROOT, ICON_SOURCE), path.join(iconsRoot, ICONS_DIR));
    const resolve = async (icon: string | null | undefined, format: 'icns' | 'ico' | 'set') => {
      expect(icon, format).toBeTruthy();
      const outDir = path.join(work, `converted-${format}`);
      const result = await convertIcon({ sources: [icon!], fallbackSources: [], roots: [iconsRoot], format, outDir });
      expect(result.isFallback, format).toBe(false);
      // Nothing converted: electron-builder's converter (a downloaded tool) never ran.
      expect(existsSync(outDir), format).toBe(false);
      return result.icons;
    };
    const iconsDir = path.join(iconsRoot, ICONS_DIR);
    expect((await resolve(config.mac?.icon, 'icns')).map((icon) => icon.file)).toEqual([path.join(iconsDir, ICNS_FILE)]);
    expect(await resolve(config.win?.icon, 'ico')).toEqual([{ file: path.join(iconsDir, ICO_FILE), size: 256 }]);
    expect((await resolve(config.linux?.icon, 'set')).map((icon) => icon.size)).toEqual([...PNG_SIZES]);
  });

  it(`keeps app.asar and app.asar.unpacked within ${SIZE_BUDGET_BYTES.toLocaleString('en')} bytes`, () => {
    const asarBytes = sizeOf(asar);
    const unpackedBytes = sizeOf(unpackedDir);
    expect(
      asarBytes + unpackedBytes,
      `app.asar ${asarBytes.toLocaleString('en')} + app.asar.unpacked ${unpackedBytes.toLocaleString('en')} bytes`,
    ).toBeLessThanOrEqual(SIZE_BUDGET_BYTES);
  });
});
