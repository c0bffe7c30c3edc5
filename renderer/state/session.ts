/** Who is signed in, the defaults and the connection state; signing in and out. */
import { coalesce } from './coalesce.js';
import type { AppActions, StoreKit } from './types.js';
import type { SessionInfo } from '../../sync/app-api/contract.js';

interface Deps {
  /** Forget everything that belonged to the previous user. */
  clearSignedIn: () => void;
  /** A user signed in: read their conversations. */
  signedIn: () => void;
  /** Re-read everything the signed-in user sees. */
  refreshSignedIn: () => Promise<unknown>;
}

type SessionActions = Pick<AppActions, 'reloadAll' | 'startFresh' | 'createAccount' | 'logIn' | 'logOut'>;

export function createSession(kit: StoreKit, deps: Deps) {
  const { api, get, set } = kit;

  const applySession = (session: SessionInfo | null) => {
    const previous = get().session;
    // The recovery screen stays until the core says the recovery is over (getCoreState).
    if (get().phase === 'recovery') return;
    if (!session) {
      if (previous || get().phase !== 'signedOut') {
        set({ session: null, phase: 'signedOut' });
        deps.clearSignedIn();
      }
      return;
    }
    if (previous?.user.id !== session.user.id) {
      deps.clearSignedIn();
      set({ session, phase: 'signedIn' });
      deps.signedIn();
    } else {
      set({ session, phase: 'signedIn' });
    }
  };

  const reloadAll = coalesce(async () => {
    try {
      const [core, defaults, session, connection] = await Promise.all([
        api.getCoreState({}),
        api.getDefaults({}),
        api.getSession({}),
        api.getConnectionState({}),
      ]);
      set({ defaults, connection });
      if (core.kind === 'recovery') {
        set({ phase: 'recovery', recovery: core.recovery, session: null });
        return;
      }
      if (get().phase === 'recovery') set({ phase: 'loading', recovery: null });
      set({ diskFull: core.diskFull, settingsFull: core.settingsFull });
      applySession(session);
      if (session) await deps.refreshSignedIn();
    } catch (error) {
      console.error('reload failed', error);
      if (get().phase === 'loading') set({ phase: 'unreachable' });
    }
  });

  const actions: SessionActions = {
    reloadAll,
    async startFresh() {
      await api.startFresh({});
      await reloadAll();
    },
    async createAccount(args) {
      applySession(await api.createAccount(args));
    },
    async logIn(args) {
      applySession(await api.logIn(args));
    },
    async logOut() {
      try {
        await api.logOut({});
      } finally {
        // Even if the call failed, the person asked to leave: re-read what the core says.
        const [session, defaults] = await Promise.all([
          api.getSession({}).catch(() => null),
          api.getDefaults({}).catch(() => get().defaults),
        ]);
        // The sign-in screen offers to log in again to the account just left.
        set({ defaults });
        applySession(session);
      }
    },
  };

  return { actions, applySession };
}
