/**
 * The Electron host's logs: the profile's rotating log (this main process's lines and the core
 * worker's; main/common/logging.ts), and "Export logs" answered here rather than by the core: a
 * save dialog, then the export written where the person chose. No electron import at run time, so
 * tests drive it with stand-ins.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { IpcMainInvokeEvent, SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import type { LogExportOutcome } from '../../sync/app-api/log-export.js';
import type { HostVersions } from '../../sync/client/client-core-types.js';
import { errorFields, type Logger, type LogLevel } from '../../sync/common/logger.js';
import { PRIVATE_FILE_MODE } from '../../sync/node/private-files.js';
import { hostVersions, systemDescription } from '../common/host-versions.js';
import { openHostLogging, type HostLogging } from '../common/logging.js';
import { createLogExporter, logExportFileName, type LogExporter } from '../common/logging-export.js';
import { isTrustedSender } from './trusted-sender.js';

export interface ElectronLogs {
  logging: HostLogging;
  logger: Logger;
  /** This process's versions (Electron's and Chromium's among them), for the core's getAbout. */
  versions: HostVersions;
  exporter: LogExporter;
}

export function startElectronLogs(profileDir: string, level: LogLevel): ElectronLogs {
  const logging = openHostLogging({ profileDir, level, name: 'electron' });
  const { logger } = logging;
  const versions = hostVersions();
  const system = systemDescription();
  logger.info('electron host starting', { ...versions, system, logLevel: level });
  return { logging, logger, versions, exporter: createLogExporter({ logsDir: logging.dir, versions, system, logger }) };
}

export interface ExportLogsDependencies {
  exporter: LogExporter;
  /** dialog.showSaveDialog, over the main window when there is one. */
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  /** Where the dialog starts (the Downloads folder). */
  defaultDir(): string;
  logger: Logger;
  now?: () => Date;
}

/** The IPC_EXPORT_LOGS handler: the app's own frames only; asks where, then writes the file there. */
export function exportLogsHandler(deps: ExportLogsDependencies): (event: IpcMainInvokeEvent) => Promise<LogExportOutcome> {
  const { now = () => new Date() } = deps;
  return async (event) => {
    if (!isTrustedSender(event)) {
      deps.logger.warn('refused a log export asked for by a frame that is not the app');
      return 'failed';
    }
    const choice = await deps.showSaveDialog({
      defaultPath: path.join(deps.defaultDir(), logExportFileName(now())),
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    if (choice.canceled || !choice.filePath) return 'cancelled';
    try {
      // Read now, after the dialog: what was logged while it was open is in it too.
      await fs.writeFile(choice.filePath, deps.exporter.export().body, { mode: PRIVATE_FILE_MODE });
    } catch (error) {
      deps.logger.error('the exported logs could not be written', errorFields(error));
      return 'failed';
    }
    return 'saved';
  };
}
