/**
 * A mirror in a temporary folder holding one direct conversation 'c1' between 'me' and 'ann',
 * for unit tests of the mirror and what writes to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mirror } from '../../sync/client/mirror/mirror.js';

/** The direct conversation 'c1' between 'me' and 'ann', stored in `mirror` as `me` sees it. */
export function addMeAndAnn(mirror: Mirror): void {
  mirror.upsertConversation(
    {
      id: 'c1',
      kind: 'direct',
      name: null,
      isMember: true,
      createdAt: 1,
      lastSeq: 0,
      members: [
        { id: 'me', username: 'me', displayName: 'Me', role: 'member', deliveredSeq: 0, readSeq: 0 },
        { id: 'ann', username: 'ann', displayName: 'Ann', role: 'member', deliveredSeq: 0, readSeq: 0 },
      ],
    },
    'me',
  );
}

export function createTestMirrors(): { open(): Mirror; cleanup(): void } {
  const dirs: string[] = [];
  return {
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'test-mirror-'));
      dirs.push(dir);
      const mirror = Mirror.open(join(dir, 'mirror.sqlite'));
      addMeAndAnn(mirror);
      return mirror;
    },
    cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
