import { useEffect, type RefObject } from 'react';
import type { CallStats } from '../calls/call-stats.js';

const STATS_EVERY_MS = 1_000;

/**
 * Keeps what a peer connection's media does (getStats) in the element's data-call-stats, refreshed
 * every second, for the end-to-end tests and for debugging a call with the developer tools.
 */
export function useCallStats(ref: RefObject<HTMLElement | null>, read: () => Promise<CallStats | null>): void {
  useEffect(() => {
    let stopped = false;
    const timer = setInterval(() => {
      void read().then((stats) => {
        if (!stopped && stats && ref.current) ref.current.dataset.callStats = JSON.stringify(stats);
      });
    }, STATS_EVERY_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [ref, read]);
}
