import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';
import { CloudOffIcon } from './icons.js';

/**
 * Always visible: is the app talking to the server? Online, Connecting or Offline, nothing else:
 * Work offline is offline like any other (only its hint says why; the Settings switch shows it on).
 */
export function ConnectionStatus() {
  const connection = useApp((s) => s.connection);
  const transport = useApp((s) => s.transport);
  const workingOffline = useApp((s) => s.preferences?.workOffline === true);
  // While the bridge to the app itself is down we know nothing about the server.
  const state = transport === 'connected' ? connection : 'connecting';
  const label =
    state === 'online' ? t.connection.online : state === 'connecting' ? t.connection.connecting : t.connection.offline;
  const hint =
    transport !== 'connected'
      ? t.connection.appUnreachableHint
      : state !== 'offline'
        ? null
        : workingOffline
          ? t.preferences.workingOffline
          : t.connection.offlineHint;

  return (
    <div role="status" aria-label={t.connection.label} className={`connection connection--${state}`}>
      <span className="connection__line">
        {state === 'offline' ? <CloudOffIcon size={14} /> : <span className="connection__dot" aria-hidden="true" />}
        <span className="connection__label">{label}</span>
      </span>
      {hint && <span className="connection__hint">{hint}</span>}
    </div>
  );
}
