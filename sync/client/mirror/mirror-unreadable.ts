/**
 * The mirror file is there but cannot be read: encrypted with another key (or none given), or
 * damaged. Nothing is changed on disk when this is thrown, so a recovery screen can offer what to
 * do with the file; `code` is what crosses thread and process boundaries.
 */
export const MIRROR_UNREADABLE = 'mirror_unreadable';

export class MirrorUnreadableError extends Error {
  readonly code = MIRROR_UNREADABLE;

  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `The local data in ${path} cannot be read: it is encrypted with a key this device does not have, ` +
        `or it is damaged (${cause instanceof Error ? cause.message : String(cause)}). Nothing was changed.`,
      { cause },
    );
    this.name = 'MirrorUnreadableError';
  }
}

/** Whether SQLite refused the file itself (SQLITE_NOTADB: wrong or missing key; SQLITE_CORRUPT: damaged). */
export function isUnreadableDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'));
}
