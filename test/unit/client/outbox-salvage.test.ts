/**
 * Salvaging the outbox of a mirror that cannot be opened: a partly corrupt copy gives back the
 * rows on intact pages and counts the others; garbage and a file encrypted with another key give
 * nothing, with the count unknown; what is salvaged goes into a new mirror in its old order.
 */
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { classifyOpenFailure, damagedNames, moveAside } from '../../../sync/client/mirror/mirror-recovery.js';
import { salvageOutbox } from '../../../sync/client/mirror/outbox-salvage.js';
import { addMeAndAnn } from '../../support/test-mirror.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-salvage-'));
  dirs.push(dir);
  return dir;
}

const MESSAGES = 200;
const textOf = (i: number) => `message ${i} ${'words '.repeat(50)}`.trim();
const idOf = (i: number) => `msg-${String(i).padStart(4, '0')}`;

/** A closed mirror with MESSAGES unsent messages in conversation c1, as `me`. */
function mirrorWithOutbox(dir: string, key?: Uint8Array): string {
  const path = join(dir, 'mirror.sqlite');
  const mirror = Mirror.open(path, key ? { key } : {});
  mirror.saveSession({
    serverUrl: 'ws://127.0.0.1:7999',
    token: 'secret',
    user: { id: 'me', username: 'me', displayName: 'Me' },
  });
  addMeAndAnn(mirror);
  for (let i = 0; i < MESSAGES; i++) mirror.enqueueMessage('c1', idOf(i), 'me', textOf(i), null, 1000 + i);
  mirror.close();
  return path;
}

/** Overwrites a middle leaf page of `table` with garbage; returns how many rows that page held. */
function corruptLeafPage(path: string, table: string): number {
  const db = new Database(path, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const leaves = db
    .prepare("SELECT pageno, ncell FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno")
    .all(table) as {
    pageno: number;
    ncell: number;
  }[];
  db.close();
  expect(leaves.length).toBeGreaterThan(2);
  const victim = leaves[Math.floor(leaves.length / 2)]!;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (victim.pageno - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return victim.ncell;
}

describe('outbox salvage', () => {
  it('reads every row of an intact file, in order, with its text', () => {
    const path = mirrorWithOutbox(tempDir());
    const result = salvageOutbox(path);
    expect(result).toMatchObject({ recoveredMessages: MESSAGES, unrecoverable: 0 });
    expect(result.outbox?.account).toEqual({
      serverUrl: 'ws://127.0.0.1:7999',
      user: { id: 'me', username: 'me', displayName: 'Me' },
    });
    expect(result.outbox?.rows.map((row) => row.clientId)).toEqual(Array.from({ length: MESSAGES }, (_, i) => idOf(i)));
    expect(result.outbox?.rows[7]?.message?.text).toBe(textOf(7));
  });

  it('counts the messages on a damaged page of the messages table and recovers the rest', () => {
    const path = mirrorWithOutbox(tempDir());
    const lost = corruptLeafPage(path, 'messages');
    const result = salvageOutbox(path);
    expect(lost).toBeGreaterThan(0);
    expect(result.recoveredMessages).toBe(MESSAGES - lost);
    expect(result.unrecoverable).toBe(lost);
    // What was recovered is exactly what was written.
    for (const row of result.outbox?.rows ?? []) {
      expect(row.message?.text).toBe(textOf(Number(row.clientId.slice(4))));
    }
  });

  it('counts rows on a damaged page of the outbox table itself (their ids are still in the index)', () => {
    const path = mirrorWithOutbox(tempDir());
    const lost = corruptLeafPage(path, 'outbox');
    const result = salvageOutbox(path);
    expect(result.recoveredMessages).toBe(MESSAGES - lost);
    expect(result.unrecoverable).toBe(lost);
  });

  it('mends a torn header (its first 16 bytes) on the copy and recovers everything; the damaged file is left as it was', () => {
    const path = mirrorWithOutbox(tempDir());
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from('garbage garbage!'), 0, 16, 0);
    closeSync(fd);
    expect(() => Mirror.open(path)).toThrow();
    const result = salvageOutbox(path);
    expect(result).toMatchObject({ recoveredMessages: MESSAGES, unrecoverable: 0 });
    expect(() => Mirror.open(path)).toThrow();
  });

  it('gives nothing, the count unknown, for a garbage file', () => {
    const path = join(tempDir(), 'mirror.sqlite');
    writeFileSync(path, 'this is not a database, only some text that was written here by mistake\n'.repeat(100));
    let failure: unknown;
    try {
      Mirror.open(path).close();
    } catch (error) {
      failure = error;
    }
    expect(classifyOpenFailure(failure, path)).toBe('damaged');
    expect(salvageOutbox(path)).toEqual({ outbox: null, recoveredMessages: 0, unrecoverable: null });
  });

  it('tells a file encrypted with another key apart from damage, and reads nothing of it', () => {
    const path = mirrorWithOutbox(tempDir(), new Uint8Array(32).fill(1));
    const wrongKey = new Uint8Array(32).fill(2);
    let failure: unknown;
    try {
      Mirror.open(path, { key: wrongKey }).close();
    } catch (error) {
      failure = error;
    }
    expect(classifyOpenFailure(failure, path)).toBe('undecryptable');
    expect(salvageOutbox(path, { key: wrongKey })).toEqual({ outbox: null, recoveredMessages: 0, unrecoverable: null });
    // With its own key everything is readable: the salvage reads encrypted files too.
    expect(salvageOutbox(path, { key: new Uint8Array(32).fill(1) }).recoveredMessages).toBe(MESSAGES);
  });

  it('queues what was salvaged into a new mirror, in order, without the token, once however often it is restored', () => {
    const dir = tempDir();
    const path = mirrorWithOutbox(dir);
    const lost = corruptLeafPage(path, 'messages');
    const names = damagedNames(dir, 'mirror.sqlite', Date.UTC(2026, 10, 23, 1, 22, 33));
    // The main file first, its -wal and -shm with it.
    expect(names).toEqual(
      ['', '-wal', '-shm'].map((suffix) => [`mirror.sqlite${suffix}`, `mirror.damaged-2026-11-23T01-22-33Z.sqlite${suffix}`]),
    );
    moveAside(dir, names);
    const moved = names[0]?.[1];
    const salvaged = salvageOutbox(join(dir, moved!)).outbox!;

    const fresh = Mirror.open(join(dir, 'mirror.sqlite'));
    fresh.restoreSalvaged(salvaged);
    fresh.restoreSalvaged(salvaged);
    expect(fresh.session()).toEqual({
      serverUrl: 'ws://127.0.0.1:7999',
      token: null,
      user: { id: 'me', username: 'me', displayName: 'Me' },
    });
    expect(fresh.outbox.pendingCount()).toBe(MESSAGES - lost);
    const queued = fresh.outbox.pendingIn('c1', 0, MESSAGES);
    expect(queued.map((entry) => entry.clientId)).toEqual(salvaged.rows.map((row) => row.clientId));
    expect(queued.every((entry) => entry.kind === 'send' && entry.text === textOf(Number(entry.clientId.slice(4))))).toBe(true);
    fresh.close();
    expect(existsSync(join(dir, moved!))).toBe(true);
  });

  it('queues a salvaged disappearing message with the timer it was written with, and reads a mirror from before timers', () => {
    const dir = tempDir();
    const path = join(dir, 'mirror.sqlite');
    const mirror = Mirror.open(path);
    mirror.saveSession({
      serverUrl: 'ws://127.0.0.1:7999',
      token: 'secret',
      user: { id: 'me', username: 'me', displayName: 'Me' },
    });
    addMeAndAnn(mirror);
    mirror.enqueueMessage('c1', 'plain', 'me', 'stays', null, 1000);
    mirror.close();
    const db = new Database(path);
    db.prepare("UPDATE conversations SET disappearing_ms = 30000 WHERE id = 'c1'").run();
    db.close();
    const again = Mirror.open(path);
    again.enqueueMessage('c1', 'timed', 'me', 'goes', null, 1001);
    again.close();

    const salvaged = salvageOutbox(path).outbox!;
    const fresh = Mirror.open(join(tempDir(), 'mirror.sqlite'));
    fresh.restoreSalvaged(salvaged);
    const queued = fresh.outbox.pendingIn('c1', 0, 10);
    expect(queued.map((entry) => entry.kind === 'send' && [entry.messageId, entry.expiresInMs])).toEqual([
      ['plain', null],
      ['timed', 30_000],
    ]);
    fresh.close();

    // A mirror from before disappearing messages has no such column: its messages are still salvaged.
    const old = new Database(path);
    old.exec('DROP INDEX messages_expiry; DROP INDEX messages_timer_unstarted; ALTER TABLE messages DROP COLUMN expires_at;');
    old.exec('ALTER TABLE messages DROP COLUMN expires_in_ms;');
    old.close();
    expect(salvageOutbox(path).outbox!.rows.map((row) => row.message?.text)).toEqual(['stays', 'goes']);
  });
});
