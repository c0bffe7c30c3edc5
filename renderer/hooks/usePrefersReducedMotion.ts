/**
 * Whether the system asks for less motion (prefers-reduced-motion), followed live: GIFs then stay
 * still until the person plays one.
 */
import { useSyncExternalStore } from 'react';

const QUERY = '(prefers-reduced-motion: reduce)';

function subscribe(changed: () => void): () => void {
  const list = window.matchMedia(QUERY);
  list.addEventListener('change', changed);
  return () => list.removeEventListener('change', changed);
}

export function usePrefersReducedMotion(): boolean {
  // Rendered outside a window (tests' static markup): motion as usual.
  return useSyncExternalStore(
    subscribe,
    () => window.matchMedia(QUERY).matches,
    () => false,
  );
}
