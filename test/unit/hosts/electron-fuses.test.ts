/**
 * The Electron fuses the packaged app is built with (electron-builder.yml's electronFuses), read
 * the way `npm run dist` reads them: electron-builder's own loader and schema (a misspelt fuse is
 * an error there), then electron-builder's translation into the @electron/fuses wire it flips.
 */
import path from 'node:path';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { PlatformPackager } from 'app-builder-lib';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

async function packagingConfig() {
  const config = await getConfig(ROOT, path.join(ROOT, 'electron-builder.yml'), null);
  await validateConfiguration(config, { isEnabled: false } as Parameters<typeof validateConfiguration>[1]);
  return config;
}

describe('electron fuses', () => {
  it('turns off running as Node, NODE_OPTIONS and --inspect; turns on cookie encryption and asar-only, checked loading', async () => {
    const config = await packagingConfig();
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });

    // What electron-builder hands to @electron/fuses' flipFuses for the packaged binary. (A private
    // method: if an upgrade renames it, this test says so rather than passing on a stale mapping.)
    const packager = PlatformPackager.prototype as unknown as {
      generateFuseConfig(this: void, fuses: unknown): Promise<Record<string, unknown>>;
    };
    const wire = await packager.generateFuseConfig(config.electronFuses);
    expect(wire).toMatchObject({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    });
    // The V8 snapshot fuse needs a snapshot file we do not ship: left as Electron has it.
    expect(wire).not.toHaveProperty(String(FuseV1Options.LoadBrowserProcessSpecificV8Snapshot));
  });
});
