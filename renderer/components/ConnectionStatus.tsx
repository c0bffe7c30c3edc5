import { connectionWords } from '../format/connection.js';
import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';
import { CloudOffIcon } from './icons.js';

/**
 * Always visible: is the app talking to the server? Online, Connecting or Offline, nothing else:
 * Work offline is offline like any other (only its hint says why; the Settings switch shows it on),
 * and so is an app and a server of different versions, whose hint says which one to update.
 */
export function ConnectionStatus() {
  const connection = useApp((s) => s.connection);
  const transport = useApp((s) => s.transport);
  const workingOffline = useApp((s) => s.preferences?.workOffline === true);
  const { state, label, hint } = connectionWords(connection, transport === 'connected', workingOffline);
  const offline = state === 'offline';
  return (
    <div role="status" aria-label={t.connection.label} className={`connection connection--${state}`}>
      <span className="connection__line">
        {offline ? <CloudOffIcon size={14} /> : <span className="connection__dot" aria-hidden="true" />}
        <span className="connection__label">{label}</span>
      </span>
      {hint && <span className="connection__hint">{hint}</span>}
    </div>
  );
}
