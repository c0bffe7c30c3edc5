/** Addresses the hosts agree on. */
export const DEFAULT_SYNC_PORT = 7878;
export const DEFAULT_SERVER_URL = `ws://127.0.0.1:${DEFAULT_SYNC_PORT}`;
export const DEFAULT_WEB_PORT = 5173;
/** What GET /v1/health answers with on our sync server. */
export const SYNC_SERVER_NAME = 'offline-messenger-sync';

/** better-sqlite3 rebuilt for Electron's ABI lives here (relative to the repository root). */
export const ELECTRON_NATIVE_DIR = '.electron-native';
export const ELECTRON_SQLITE_BINDING = [
  ELECTRON_NATIVE_DIR,
  'better-sqlite3-multiple-ciphers',
  'build',
  'Release',
  'better_sqlite3.node',
] as const;

/** Built file names, relative to dist/ (scripts/build.ts writes them; hosts and scripts read them). */
export const BUILT = {
  rendererDir: 'renderer',
  electronMain: 'main/electron-main.cjs',
  preload: 'preload/preload.cjs',
  coreWorker: 'main/core-worker.cjs',
  browserCli: 'main/browser-cli.cjs',
} as const;
