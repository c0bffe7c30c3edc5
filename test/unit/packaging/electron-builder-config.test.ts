/**
 * electron-builder.yml as `npm run dist` reads it (electron-builder's own loader and schema): the
 * installers each system gets, the generated icons, and signing that comes only from the
 * environment. (The fuses have their own test: test/unit/hosts/electron-fuses.test.ts; what is
 * packed, the packaging check: test/integration/packaging.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ICNS_FILE, ICO_FILE, ICONS_DIR } from '../../../scripts/icons.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

let config: Awaited<ReturnType<typeof getConfig>>;

beforeAll(async () => {
  config = await getConfig(ROOT, path.join(ROOT, 'electron-builder.yml'), null);
  // Compiling electron-builder's schema takes seconds on a busy machine.
  await validateConfiguration(config, { isEnabled: false } as Parameters<typeof validateConfiguration>[1]);
}, 60_000);

/** Every key anywhere in the config, as "a.b.c". */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [`${prefix}${key}`, ...keyPaths(inner, `${prefix}${key}.`)]);
}

describe('electron-builder.yml', () => {
  it('makes AppImage, deb and rpm on Linux, an NSIS installer on Windows and a dmg for x64 and arm64 Macs', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.win?.target).toBe('nsis');
    expect(config.mac?.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
  });

  it('gives deb and rpm the maintainer and homepage they refuse to build without', () => {
    expect(config.linux?.maintainer).toMatch(/^[^<>]+ <[^@\s]+@[^@\s]+>$/);
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { homepage?: string };
    const homepage: unknown = (config.extraMetadata as { homepage?: unknown } | undefined)?.homepage ?? manifest.homepage;
    expect(homepage).toMatch(/^https:\/\//);
  });

  it("takes each system's icon from what scripts/icons.ts generates", () => {
    expect(config.mac?.icon).toBe(`${ICONS_DIR}/${ICNS_FILE}`);
    expect(config.win?.icon).toBe(`${ICONS_DIR}/${ICO_FILE}`);
    expect(config.linux?.icon).toBe(ICONS_DIR);
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.dist).toMatch(/--production && tsx scripts\/icons\.ts && electron-builder /);
  });

  it('signs and notarises with credentials from the environment only, and rebuilds the native module for Electron', () => {
    // mac.notarize as a plain switch: electron-builder 26 reads APPLE_* from the environment.
    expect(config.mac?.notarize).toBe(true);
    expect(config.mac?.hardenedRuntime).toBe(true);
    const secrets = keyPaths(config).filter((key) => /csc|password|certificate|apple|keychain|token/i.test(key));
    expect(secrets).toEqual([]);
    // The packaging check turns this off for itself only (test/integration/packaging/check-config.ts).
    expect(config.npmRebuild).toBe(true);
  });
});
