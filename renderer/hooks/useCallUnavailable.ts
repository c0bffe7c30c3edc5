import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';

/**
 * Why no call can start from here now, in words, or null: offline, or already in a call (one at a
 * time, one-to-one or in a group). Buttons that start a call are off and described by it.
 */
export function useCallUnavailable(): string | null {
  const online = useApp((s) => s.connection === 'online' && s.transport === 'connected');
  const inCall = useApp((s) => (s.call !== null && s.call.view.phase !== 'ended') || s.groupCalls.joined !== null);
  return !online ? t.calls.offline : inCall ? t.calls.inAnotherCall : null;
}
