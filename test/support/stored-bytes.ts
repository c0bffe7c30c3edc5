import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files under `dir` (a server's data folder: its database, write-ahead log and attachment
 * store) whose bytes hold `marker` as UTF-8 or UTF-16: what a test of a blind server looks for.
 */
export function filesHolding(dir: string, marker: string): string[] {
  const needles = [Buffer.from(marker, 'utf8'), Buffer.from(marker, 'utf16le')];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = readFileSync(path);
    if (needles.some((needle) => bytes.includes(needle))) found.push(path);
  }
  return found;
}
