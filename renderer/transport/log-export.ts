/**
 * "Export logs" is asked of the host, not the core. Which host the page is in comes from the same
 * place as its transport (connect.ts): Electron's preload puts `exportLogs` on window.messenger (a
 * save dialog in the main process); a page of the browser host downloads the file from the host,
 * an ordinary download the browser saves (the logs are never shown as a page).
 */
import { LOGS_EXPORT_PATH, type LogExportOutcome } from '../../sync/app-api/log-export.js';

export function exportLogs(win: Window = window): Promise<LogExportOutcome> {
  const preload = win.messenger;
  if (preload && typeof preload.exportLogs === 'function') return preload.exportLogs();
  const anchor = win.document.createElement('a');
  anchor.href = LOGS_EXPORT_PATH;
  // Empty: the name is the one the host's Content-Disposition gives (messenger-logs-<date>.log).
  anchor.download = '';
  anchor.hidden = true;
  win.document.body.append(anchor);
  anchor.click();
  anchor.remove();
  return Promise.resolve('downloading');
}
