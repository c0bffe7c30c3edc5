/**
 * "Export logs" is answered by the host, not the core (the logs are the host's files): the browser
 * host serves them as a download at LOGS_EXPORT_PATH (behind its lock), Electron's main process
 * asks where to save them (a save dialog) when the preload's `exportLogs` is called.
 */

/** GET: this profile's logs as one attachment (Content-Disposition), in the browser host. */
export const LOGS_EXPORT_PATH = '/logs/export';

/**
 * How an export went: written where the person chose ('saved'), the dialog closed ('cancelled'),
 * not written ('failed'), or handed to the browser as a download ('downloading': it reports the rest).
 */
export const LOG_EXPORT_OUTCOMES = ['saved', 'cancelled', 'failed', 'downloading'] as const;
export type LogExportOutcome = (typeof LOG_EXPORT_OUTCOMES)[number];

export function isLogExportOutcome(value: unknown): value is LogExportOutcome {
  return typeof value === 'string' && (LOG_EXPORT_OUTCOMES as readonly string[]).includes(value);
}

/** What Electron's preload adds to the app API transport on `window.messenger`. */
export interface LogExporter {
  exportLogs(): Promise<LogExportOutcome>;
}
