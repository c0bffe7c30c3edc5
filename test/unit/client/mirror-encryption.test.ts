/**
 * The mirror at rest: encrypted with its key (SQLCipher), unreadable without it (a typed error,
 * nothing changed), a plain mirror from before encrypted in place with nothing lost, and every
 * file of it the owner's alone whatever the umask.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { MirrorUnreadableError } from '../../../sync/client/mirror/mirror-unreadable.js';
import { isPlainDatabaseFile } from '../../../sync/node/database-key.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mirror-encryption-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const SECRET = 'the launch code is 7251';
const conversation = {
  id: 'c1',
  kind: 'direct' as const,
  name: null,
  isMember: true,
  createdAt: 1000,
  lastSeq: 0,
  members: [
    { id: 'me', username: 'me', displayName: 'Me', role: 'member' as const, deliveredSeq: 0, readSeq: 0 },
    { id: 'peer', username: 'peer', displayName: 'Peer', role: 'member' as const, deliveredSeq: 0, readSeq: 0 },
  ],
};

/** A mirror with a received message holding SECRET and two own messages queued in the outbox. */
function fill(mirror: Mirror): void {
  mirror.upsertConversation(conversation, 'me');
  mirror.applyEvents(
    'c1',
    [
      {
        kind: 'message',
        conversationId: 'c1',
        seq: 1,
        senderId: 'peer',
        clientMessageId: 'm1',
        text: SECRET,
        sentAt: 2001,
        replyTo: null,
        deleted: false,
        attachments: [],
      },
    ],
    'me',
  );
  mirror.enqueueMessage('c1', 'q1', 'me', 'queued one', null, 3000);
  mirror.enqueueMessage('c1', 'q2', 'me', 'queued two', null, 3001);
}

function profileFilesContaining(dir: string, text: string): string[] {
  return readdirSync(dir).filter((name) => readFileSync(join(dir, name)).includes(Buffer.from(text)));
}

describe('an encrypted mirror', () => {
  it('keeps nothing readable on disk, reads back with its key, and refuses a missing or wrong key with MirrorUnreadableError', () => {
    const dir = tempDir();
    const path = join(dir, 'mirror.sqlite');
    const key = randomBytes(32);
    const mirror = Mirror.open(path, { key });
    fill(mirror);
    mirror.close();

    expect(isPlainDatabaseFile(path)).toBe(false);
    expect(profileFilesContaining(dir, SECRET)).toEqual([]);

    const before = readFileSync(path);
    expect(() => Mirror.open(path)).toThrow(MirrorUnreadableError);
    expect(() => Mirror.open(path, { key: randomBytes(32) })).toThrow(MirrorUnreadableError);
    try {
      Mirror.open(path, { key: randomBytes(32) });
    } catch (error) {
      expect((error as MirrorUnreadableError).code).toBe('mirror_unreadable');
    }
    // Refusing changed nothing (no new key applied, no fresh database made).
    expect(readFileSync(path).equals(before)).toBe(true);

    const again = Mirror.open(path, { key });
    expect(again.allMessages('c1').map((message) => message.text)).toEqual([SECRET, 'queued one', 'queued two']);
    again.close();
  });

  it('runs in WAL mode with secure_delete on', () => {
    const path = join(tempDir(), 'mirror.sqlite');
    const key = randomBytes(32);
    Mirror.open(path, { key }).close();
    const db = new Database(path);
    db.pragma("cipher = 'sqlcipher'");
    db.pragma(`key = "x'${key.toString('hex')}'"`);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const mirror = Mirror.open(path, { key });
    // secure_delete is per connection: the mirror's own connection is the one to ask.
    const connection = (mirror as unknown as { db: Database.Database }).db;
    expect(connection.pragma('secure_delete', { simple: true })).toBe(1);
    mirror.close();
  });
});

describe('a plain mirror from before', () => {
  it('is encrypted in place on its first keyed open, with its messages and queued outbox, WAL contents included', () => {
    const source = tempDir();
    const plain = Mirror.open(join(source, 'mirror.sqlite'));
    fill(plain);
    // A copy of the files while the mirror is open: what a crash leaves, the newest writes still in the WAL.
    const dir = tempDir();
    for (const name of ['mirror.sqlite', 'mirror.sqlite-wal']) copyFileSync(join(source, name), join(dir, name));
    plain.close();
    const path = join(dir, 'mirror.sqlite');
    expect(isPlainDatabaseFile(path)).toBe(true);
    expect(profileFilesContaining(dir, SECRET)).not.toEqual([]);
    // Left over by an attempt that was interrupted: thrown away, made again.
    writeFileSync(`${path}.encrypting`, 'half a copy');

    const key = randomBytes(32);
    const mirror = Mirror.open(path, { key });
    expect(mirror.allMessages('c1').map((message) => [message.text, message.state])).toEqual([
      [SECRET, 'sent'],
      ['queued one', 'sending'],
      ['queued two', 'sending'],
    ]);
    expect(mirror.outbox.nextEntries().map((entry) => entry.clientId)).toEqual(['q1']);
    expect(mirror.outbox.pendingCount()).toBe(2);
    expect(mirror.session()).toBeNull();
    mirror.close();

    expect(isPlainDatabaseFile(path)).toBe(false);
    expect(profileFilesContaining(dir, SECRET)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['mirror.sqlite']);
    // Now it needs its key.
    expect(() => Mirror.open(path)).toThrow(MirrorUnreadableError);
  });
});

describe('mirror files', () => {
  it('are the owner’s alone (0600) whatever the umask, the WAL and its index included', () => {
    const dir = tempDir();
    const path = join(dir, 'mirror.sqlite');
    const umask = process.umask(0o000);
    try {
      const mirror = Mirror.open(path, { key: randomBytes(32) });
      fill(mirror);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        expect(existsSync(file)).toBe(true);
        expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
      }
      mirror.close();
    } finally {
      process.umask(umask);
    }
  });
});
