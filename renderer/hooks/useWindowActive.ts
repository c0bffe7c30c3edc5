import { useSyncExternalStore } from 'react';

/** True when this window is visible and has focus: the only time it is fair to mark things read. */
export function isWindowActive(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('focus', onChange);
  window.addEventListener('blur', onChange);
  document.addEventListener('visibilitychange', onChange);
  return () => {
    window.removeEventListener('focus', onChange);
    window.removeEventListener('blur', onChange);
    document.removeEventListener('visibilitychange', onChange);
  };
}

export function useWindowActive(): boolean {
  return useSyncExternalStore(subscribe, isWindowActive);
}
