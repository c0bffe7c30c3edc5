import { createContext, useContext, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AppActions, AppState, AppStore } from './store.js';

const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/** Select a slice of the app state. Select primitives or stable references (no new objects). */
export function useApp<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp outside <StoreProvider>');
  return useStore(store, selector);
}

/** Reads the app state once, when the component mounts: a starting value that later changes must not replace. */
export function useAppOnMount<T>(read: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppOnMount outside <StoreProvider>');
  const [value] = useState(() => read(store.getState()));
  return value;
}

export function useActions(): AppActions {
  return useApp((state) => state.actions);
}
