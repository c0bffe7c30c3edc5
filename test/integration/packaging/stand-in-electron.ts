/**
 * A stand-in for Electron's Linux distribution (no Electron binary can be downloaded here), as
 * electron-builder's `electronDist` takes it: a folder it copies and whose `electron` it renames
 * to the app's executable. The executable is a shell script that refuses to run, carrying what
 * @electron/fuses looks for in a real binary: the fuse sentinel, then the wire (version 1, its
 * length, one byte per fuse) at Electron's own defaults. So electron-builder flips the fuses in
 * the stand-in exactly as it does in the real binary, and the check reads the result back.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { FuseState, SENTINEL } from '@electron/fuses/dist/constants.js';

/** How Electron ships each fuse before anyone flips it (electronjs.org/docs/latest/tutorial/fuses). */
export const ELECTRON_FUSE_DEFAULTS: Readonly<Record<FuseV1Options, boolean>> = {
  [FuseV1Options.RunAsNode]: true,
  [FuseV1Options.EnableCookieEncryption]: false,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: true,
  [FuseV1Options.EnableNodeCliInspectArguments]: true,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: false,
  [FuseV1Options.OnlyLoadAppFromAsar]: false,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: true,
};

function fuseWire(): Buffer {
  const fuses = Object.keys(ELECTRON_FUSE_DEFAULTS)
    .map(Number)
    .sort((a, b) => a - b);
  const states = fuses.map((fuse) => (ELECTRON_FUSE_DEFAULTS[fuse as FuseV1Options] ? FuseState.ENABLE : FuseState.DISABLE));
  return Buffer.concat([Buffer.from(SENTINEL), Buffer.from([Number(FuseVersion.V1), fuses.length, ...states])]);
}

/** Writes the stand-in distribution into dir (which must not exist yet or be empty). */
export function writeStandInElectron(dir: string, electronVersion: string): void {
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  const executable = path.join(dir, 'electron');
  writeFileSync(
    executable,
    Buffer.concat([
      Buffer.from('#!/bin/sh\necho "A stand-in for Electron made by the packaging check: it does not run." >&2\nexit 1\n# '),
      fuseWire(),
      Buffer.from('\n'),
    ]),
  );
  chmodSync(executable, 0o755);
  writeFileSync(path.join(dir, 'version'), electronVersion);
  writeFileSync(path.join(dir, 'LICENSE'), 'Stand-in for the Electron licence file.\n');
}
