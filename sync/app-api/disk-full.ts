/**
 * Whether a failure means the disk is full: SQLite's SQLITE_FULL ("database or disk is full") or
 * a file write's ENOSPC. Pure (it only reads the error's `code`), so the dispatcher can name it
 * `disk_full` whatever layer threw it.
 */
export function isDiskFull(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}
