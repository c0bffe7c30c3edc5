import type { ConnectionState } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';

/** What the status says: one of three states, and why when offline (or while the app itself is out of reach). */
export function connectionWords(
  connection: ConnectionState,
  appReachable: boolean,
  workingOffline: boolean,
): { state: 'online' | 'connecting' | 'offline'; label: string; hint: string | null } {
  // While the bridge to the app itself is down we know nothing about the server.
  if (!appReachable) return { state: 'connecting', label: t.connection.connecting, hint: t.connection.appUnreachableHint };
  switch (connection) {
    case 'online':
      return { state: 'online', label: t.connection.online, hint: null };
    case 'connecting':
      return { state: 'connecting', label: t.connection.connecting, hint: null };
    case 'app_outdated':
      return { state: 'offline', label: t.connection.offline, hint: t.connection.appOutdatedHint };
    case 'server_outdated':
      return { state: 'offline', label: t.connection.offline, hint: t.connection.serverOutdatedHint };
    case 'offline':
      return {
        state: 'offline',
        label: t.connection.offline,
        hint: workingOffline ? t.preferences.workingOffline : t.connection.offlineHint,
      };
  }
}
