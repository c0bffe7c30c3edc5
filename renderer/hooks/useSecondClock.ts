import { useCallback, useSyncExternalStore } from 'react';

/** Calls its listeners every `periodMs` while any are subscribed, on one interval however many there are. */
export interface Ticker {
  subscribe: (listener: () => void) => () => void;
}

/** The interval starts with the first listener and stops with the last one gone. */
export function createTicker(periodMs: number): Ticker {
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | null = null;
  return {
    subscribe(listener) {
      listeners.add(listener);
      timer ??= setInterval(() => {
        for (const each of [...listeners]) each();
      }, periodMs);
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0 || timer === null) return;
        clearInterval(timer);
        timer = null;
      };
    },
  };
}

/** Every countdown on screen (each disappearing message's) shares this one clock. */
const seconds = createTicker(1000);

/**
 * The time, to the second: stable between ticks, so a render reads the same value however often
 * it asks, and a tick re-renders only when the second has moved on.
 */
const nowToTheSecond = () => Math.floor(Date.now() / 1000) * 1000;

/** The current time to the second, re-rendering once a second while `running` (and the component is mounted). */
export function useSecondClock(running: boolean): number {
  const subscribe = useCallback((listener: () => void) => (running ? seconds.subscribe(listener) : () => {}), [running]);
  return useSyncExternalStore(subscribe, nowToTheSecond, nowToTheSecond);
}
