/** Where `npm start` keeps its data: one per-user folder, following each platform's convention. */
import path from 'node:path';

export const APP_DATA_FOLDER = 'offline-messenger';

export interface PlatformInfo {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
}

/**
 * Linux and others: $XDG_DATA_HOME/offline-messenger (or ~/.local/share/…); macOS: ~/Library/Application
 * Support/…; Windows: %APPDATA%/… (or ~/AppData/Roaming/…). Relative XDG values are ignored, as the
 * XDG spec requires.
 */
export function appDataRoot({ platform, env, homeDir }: PlatformInfo): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (platform === 'win32') {
    const appData = env.APPDATA && p.isAbsolute(env.APPDATA) ? env.APPDATA : p.join(homeDir, 'AppData', 'Roaming');
    return p.join(appData, APP_DATA_FOLDER);
  }
  if (platform === 'darwin') return p.join(homeDir, 'Library', 'Application Support', APP_DATA_FOLDER);
  const xdg = env.XDG_DATA_HOME && p.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : p.join(homeDir, '.local', 'share');
  return p.join(xdg, APP_DATA_FOLDER);
}

export function serverDataDir(info: PlatformInfo): string {
  return (info.platform === 'win32' ? path.win32 : path.posix).join(appDataRoot(info), 'server');
}

export function webProfileDir(info: PlatformInfo): string {
  return (info.platform === 'win32' ? path.win32 : path.posix).join(appDataRoot(info), 'web-profile');
}
