/** The versions a host reports (About, the header of exported logs). */
import os from 'node:os';
import { version as packageVersion } from '../../package.json';
import type { HostVersions } from '../../sync/client/client-core-types.js';

/** package.json's version, inlined by the build. */
export const APP_VERSION: string = packageVersion;

/** This process's versions: under Electron its own and its Chromium's; under Node those are null. */
export function hostVersions(versions: NodeJS.ProcessVersions = process.versions): HostVersions {
  return {
    app: APP_VERSION,
    electron: versions.electron ?? null,
    chromium: versions.chrome ?? null,
    node: versions.node,
  };
}

/** The system, for a bug report: platform, architecture and kernel or OS release. */
export function systemDescription(): string {
  return `${process.platform} ${process.arch} ${os.release()}`;
}
