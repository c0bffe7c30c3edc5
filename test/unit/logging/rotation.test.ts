/** The rotating log: sizes stay under the limit, at most `maxFiles` files, oldest numbered highest. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_FILE_NAME, logFilesOldestFirst, openRotatingLogFile } from '../../../main/common/logging-rotation.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'log-rotation-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Line n, 20 bytes each with its newline: "line 0001 xxxxxxxxx\n". */
const line = (n: number) => `line ${String(n).padStart(4, '0')} xxxxxxxxx\n`;

function linesIn(files: string[]): string[] {
  return files.flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean));
}

describe('the rotating log file', () => {
  it('rotates by size, keeps at most maxFiles files, and orders them oldest first', () => {
    const log = openRotatingLogFile({ dir, maxBytes: 100, maxFiles: 3 });
    for (let n = 1; n <= 40; n++) log.write(line(n));
    log.close();

    expect(readdirSync(dir).sort()).toEqual([LOG_FILE_NAME, `${LOG_FILE_NAME}.1`, `${LOG_FILE_NAME}.2`]);
    const files = logFilesOldestFirst(dir);
    expect(files.map((file) => path.basename(file))).toEqual([`${LOG_FILE_NAME}.2`, `${LOG_FILE_NAME}.1`, LOG_FILE_NAME]);
    // Five 20-byte lines fill a file exactly; the sixth opens the next one.
    for (const file of files) expect(statSync(file).size).toBeLessThanOrEqual(100);
    // What is kept is the newest lines, in order, none cut in two; the oldest ones are gone.
    expect(linesIn(files)).toEqual(Array.from({ length: 15 }, (_, i) => line(26 + i).trimEnd()));
  });

  it('goes on appending to the current file after a restart, counting what it already holds', () => {
    const first = openRotatingLogFile({ dir, maxBytes: 100, maxFiles: 2 });
    for (let n = 1; n <= 3; n++) first.write(line(n));
    first.close();
    const second = openRotatingLogFile({ dir, maxBytes: 100, maxFiles: 2 });
    for (let n = 4; n <= 6; n++) second.write(line(n));
    second.close();
    const files = logFilesOldestFirst(dir);
    expect(files.map((file) => path.basename(file))).toEqual([`${LOG_FILE_NAME}.1`, LOG_FILE_NAME]);
    expect(readFileSync(files[0]!, 'utf8')).toBe([1, 2, 3, 4, 5].map(line).join(''));
    expect(readFileSync(files[1]!, 'utf8')).toBe(line(6));
  });

  it('gives a line longer than the limit a file to itself rather than splitting it', () => {
    const log = openRotatingLogFile({ dir, maxBytes: 50, maxFiles: 5 });
    log.write(line(1));
    const long = `${'y'.repeat(120)}\n`;
    log.write(long);
    log.write(line(2));
    log.close();
    expect(logFilesOldestFirst(dir).map((file) => readFileSync(file, 'utf8'))).toEqual([line(1), long, line(2)]);
  });

  it('is the owner’s alone, and survives its folder being removed (the line is lost, the next one written)', () => {
    const log = openRotatingLogFile({ dir: path.join(dir, 'logs'), maxBytes: 1000, maxFiles: 2 });
    log.write(line(1));
    if (process.platform !== 'win32') {
      expect(statSync(path.join(dir, 'logs')).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dir, 'logs', LOG_FILE_NAME)).mode & 0o777).toBe(0o600);
    }
    rmSync(path.join(dir, 'logs'), { recursive: true, force: true });
    writeFileSync(path.join(dir, 'logs'), 'now a file, not a folder');
    expect(() => log.write(line(2))).not.toThrow();
    log.close();
  });

  it('drops what comes after close instead of opening the file again', () => {
    const log = openRotatingLogFile({ dir, maxBytes: 1000, maxFiles: 2 });
    log.write(line(1));
    log.close();
    rmSync(path.join(dir, LOG_FILE_NAME));
    log.write(line(2));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lists nothing for a folder that does not exist, and ignores files that are not its own', () => {
    expect(logFilesOldestFirst(path.join(dir, 'missing'))).toEqual([]);
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    writeFileSync(path.join(dir, `${LOG_FILE_NAME}.old`), 'x');
    writeFileSync(path.join(dir, `${LOG_FILE_NAME}.10`), 'x');
    writeFileSync(path.join(dir, `${LOG_FILE_NAME}.9`), 'x');
    expect(logFilesOldestFirst(dir).map((file) => path.basename(file))).toEqual([`${LOG_FILE_NAME}.10`, `${LOG_FILE_NAME}.9`]);
  });
});
