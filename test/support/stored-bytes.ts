import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files under `dir` (a server's data folder: its database, write-ahead log and attachment
 * store) whose bytes hold `marker` as UTF-8 or UTF-16: what a test of a blind server looks for.
 */
export function filesHolding(dir: string, marker: string): string[] {
  return markersStored([dir], { marker: marker }).marker ?? [];
}

/**
 * Which of `markers` (by what each stands for) the files under `dirs` hold, with the files that
 * hold them: text as UTF-8 or UTF-16, bytes as they are. Each file is read once, however many
 * markers there are (a PostgreSQL data folder is tens of megabytes). The markers found come in the
 * order they were asked for, whichever file holds each first.
 */
export function markersStored(dirs: readonly string[], markers: Record<string, string | Buffer>): Record<string, string[]> {
  const needles = Object.entries(markers).map(([what, marker]) => ({
    what,
    forms: typeof marker === 'string' ? [Buffer.from(marker, 'utf8'), Buffer.from(marker, 'utf16le')] : [marker],
  }));
  const found = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const bytes = readFileSync(path);
      for (const { what, forms } of needles) {
        if (forms.some((form) => bytes.includes(form))) found.set(what, [...(found.get(what) ?? []), path]);
      }
    }
  }
  return Object.fromEntries(needles.flatMap(({ what }) => (found.has(what) ? [[what, found.get(what)!]] : [])));
}
