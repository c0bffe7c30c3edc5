/**
 * Wraps a refetch so that at most one run is in flight and at most one more is pending: calls made
 * while a run is in flight all share the single run that starts after it (which sees the newest
 * state). Prevents refetch storms when many events arrive at once. The task handles its own
 * errors; the returned promise never rejects.
 */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  let pending: Promise<void> | null = null;

  const start = (): Promise<void> => {
    const run = (async () => {
      try {
        await task();
      } catch (error) {
        console.error('refresh failed', error);
      }
    })();
    inFlight = run.finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  return () => {
    if (!inFlight) return start();
    if (!pending) {
      pending = inFlight.then(() => {
        pending = null;
        return start();
      });
    }
    return pending;
  };
}
