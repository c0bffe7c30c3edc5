import { useCallback, useEffect, useState } from 'react';
import type { SessionView } from '../../sync/app-api/contract.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';

export type SessionsLoad =
  { state: 'loading' } | { state: 'loaded'; sessions: SessionView[] } | { state: 'failed'; error: string };

/** The account's sessions (its devices), this one first, read when shown and again on `reload`. */
export function useSessions(): { load: SessionsLoad; reload: () => void } {
  const { loadSessions } = useActions();
  const [load, setLoad] = useState<SessionsLoad>({ state: 'loading' });
  const reload = useCallback(() => {
    loadSessions().then(
      (sessions) => setLoad({ state: 'loaded', sessions: [...sessions].sort((a, b) => Number(b.current) - Number(a.current)) }),
      (failure: unknown) => setLoad({ state: 'failed', error: describeError(failure) }),
    );
  }, [loadSessions]);
  useEffect(reload, [reload]);
  return { load, reload };
}
