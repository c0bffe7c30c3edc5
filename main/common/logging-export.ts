/**
 * "Export logs": the profile's log files in one text file a tester can attach to a report, the
 * rotated files oldest first and the current one last, under a header naming the versions. Each
 * file is scrubbed again on the way out (logging-scrub.ts), so a line written before a masking
 * rule existed, or by hand, leaves no secret either.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HostVersions } from '../../sync/client/client-core-types.js';
import type { Logger } from '../../sync/common/logger.js';
import { scrubLogText } from './logging-scrub.js';
import { logFilesOldestFirst } from './logging-rotation.js';

export interface LogExportFacts {
  versions: HostVersions;
  /** Platform, architecture, OS release (host-versions.ts: systemDescription). */
  system: string;
  /** The browser that asked for it (its User-Agent), in the browser host. */
  browser?: string;
  /** When it was exported. */
  now: Date;
}

/** messenger-logs-2025-01-31-142501.log (UTC): sorts by time, and nothing in it a file system refuses. */
export function logExportFileName(now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace('T', '-').replaceAll(':', '');
  return `messenger-logs-${stamp}.log`;
}

function header(facts: LogExportFacts): string {
  const { versions } = facts;
  const lines = [
    '# Messenger logs',
    `# exported: ${facts.now.toISOString()}`,
    `# app: ${versions.app}`,
    // Null in the browser host: no Electron, and the Chromium is the browser's (its User-Agent below).
    `# electron: ${versions.electron ?? '—'}`,
    `# chromium: ${versions.chromium ?? '—'}`,
    `# node: ${versions.node}`,
    `# system: ${facts.system}`,
    ...(facts.browser ? [`# browser: ${facts.browser}`] : []),
  ];
  return `${lines.map((line) => scrubLogText(line.replace(/[\r\n]+/g, ' '))).join('\n')}\n`;
}

/** The export's text: the header, then each log file (oldest first) under a line naming it. */
export function assembleLogExport(logsDir: string, facts: LogExportFacts): string {
  const parts = [header(facts)];
  for (const file of logFilesOldestFirst(logsDir)) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch {
      // Rotated away between listing and reading: its lines are in the next file.
      continue;
    }
    parts.push(`# --- ${path.basename(file)} ---\n`, scrubLogText(content));
    if (content.length > 0 && !content.endsWith('\n')) parts.push('\n');
  }
  return parts.join('');
}

export interface LogExport {
  fileName: string;
  body: string;
}

/** What a host answers "Export logs" with; each host delivers it its own way (download, save dialog). */
export interface LogExporter {
  /** `browser`: the User-Agent of the browser that asked (browser host). */
  export(browser?: string): LogExport;
}

export interface LogExporterOptions {
  logsDir: string;
  versions: HostVersions;
  system: string;
  /** Told of each export (its size), so the logs show when one was taken. */
  logger?: Logger;
  now?: () => Date;
}

export function createLogExporter(options: LogExporterOptions): LogExporter {
  const { now = () => new Date() } = options;
  return {
    export(browser) {
      const at = now();
      const facts: LogExportFacts = {
        versions: options.versions,
        system: options.system,
        now: at,
        ...(browser ? { browser } : {}),
      };
      const result = { fileName: logExportFileName(at), body: assembleLogExport(options.logsDir, facts) };
      options.logger?.info('logs exported', { fileName: result.fileName, bytes: Buffer.byteLength(result.body) });
      return result;
    },
  };
}
