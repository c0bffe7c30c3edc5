/**
 * Ctrl-C / SIGTERM handling for the CLIs: the first signal runs `stop` and exits 0 when it is done;
 * a second one exits at once (for when a clean stop hangs).
 */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`Received ${signal} again; exiting without waiting.`);
      process.exit(1);
    }
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
