/**
 * A mirror in a temporary folder holding one direct conversation 'c1' between 'me' and 'ann',
 * for unit tests of the mirror and what writes to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import type { EnvelopeEvent } from '../../sync/protocol/envelope-frames.js';
import type { MessageEvent } from '../../sync/content/opened-events.js';

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

/** Paths of mirror files in temporary folders, for tests that open them raw as well; cleanup removes them all. */
export function createTempMirrorPaths(prefix: string): { path(): string; cleanup(): void } {
  const dirs: string[] = [];
  return {
    path() {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return join(dir, 'mirror.sqlite');
    },
    cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An envelope in 'c1' as the server serves it: client id `e<seq>`, upload ids on even seqs. */
export function envelopeIn(seq: number, senderId = 'ann', extra: Partial<EnvelopeEvent> = {}): EnvelopeEvent {
  return {
    kind: 'envelope',
    conversationId: 'c1',
    seq,
    senderId,
    senderDevice: 2,
    clientId: `e${seq}`,
    ciphertext: Buffer.from(`sealed ${seq}`).toString('base64'),
    attachments: seq % 2 === 0 ? ['u1', 'u2'] : [],
    deleted: false,
    sentAt: 2000 + seq,
    ...extra,
  };
}

/** A message from 'ann' in 'c1': client id `m<seq>`. */
export function messageIn(seq: number): MessageEvent {
  return {
    kind: 'message',
    conversationId: 'c1',
    seq,
    senderId: 'ann',
    clientMessageId: `m${seq}`,
    text: `text ${seq}`,
    sentAt: 2000 + seq,
    replyTo: null,
    deleted: false,
    attachments: [],
  };
}
