/** "Export logs": one file, a header of versions, the log files oldest first, masked again. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleLogExport, createLogExporter, logExportFileName } from '../../../main/common/logging-export.js';
import { LOG_FILE_NAME } from '../../../main/common/logging-rotation.js';
import type { HostVersions } from '../../../sync/client/client-core-types.js';

const TOKEN = '9b'.repeat(32);
const versions: HostVersions = { app: '1.2.3', electron: '45.4.1', chromium: '140.0.7339.41', node: '22.19.0' };
const now = new Date('2025-03-04T05:06:07.890Z');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'log-export-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the log export', () => {
  it('names the file by the date and time (UTC), with nothing a file system refuses', () => {
    expect(logExportFileName(now)).toBe('messenger-logs-2025-03-04-050607.log');
  });

  it('puts the versions first, then the files oldest first, each under its name', () => {
    writeFileSync(path.join(dir, `${LOG_FILE_NAME}.2`), '{"msg":"oldest"}\n');
    writeFileSync(path.join(dir, `${LOG_FILE_NAME}.1`), '{"msg":"older"}\n');
    writeFileSync(path.join(dir, LOG_FILE_NAME), '{"msg":"newest"}');
    const text = assembleLogExport(dir, { versions, system: 'linux x64 6.8.0', browser: 'Mozilla/5.0 Chrome/140', now });
    expect(text.split('\n')).toEqual([
      '# Messenger logs',
      '# exported: 2025-03-04T05:06:07.890Z',
      '# app: 1.2.3',
      '# electron: 45.4.1',
      '# chromium: 140.0.7339.41',
      '# node: 22.19.0',
      '# system: linux x64 6.8.0',
      '# browser: Mozilla/5.0 Chrome/140',
      `# --- ${LOG_FILE_NAME}.2 ---`,
      '{"msg":"oldest"}',
      `# --- ${LOG_FILE_NAME}.1 ---`,
      '{"msg":"older"}',
      `# --- ${LOG_FILE_NAME} ---`,
      '{"msg":"newest"}',
      '',
    ]);
  });

  it('masks secrets again on the way out, also in lines written before they were masked', () => {
    writeFileSync(
      path.join(dir, LOG_FILE_NAME),
      `{"msg":"GET /v1/sessions","headers":"Authorization: Bearer ${TOKEN}","url":"/?k=${TOKEN}"}\n`,
    );
    const text = assembleLogExport(dir, { versions, system: 'linux', browser: `agent with ?token=${TOKEN}`, now });
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('Authorization: [redacted]');
  });

  it('says "—" for what the browser host does not have, and exports a header alone when nothing was logged', () => {
    const exporter = createLogExporter({
      logsDir: path.join(dir, 'none-yet'),
      versions: { ...versions, electron: null, chromium: null },
      system: 'linux',
      now: () => now,
    });
    const { fileName, body } = exporter.export();
    expect(fileName).toBe('messenger-logs-2025-03-04-050607.log');
    expect(body).toContain('# electron: —\n# chromium: —\n');
    expect(body).not.toContain('# browser:');
    expect(body).not.toContain('# ---');
  });
});
