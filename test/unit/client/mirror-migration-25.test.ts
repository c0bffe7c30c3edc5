/**
 * Mirror migration 25 (attachments.file_key): the key of each encrypted file, kept with what its
 * message says about it, so a download can open the file and a forward can pass the key on. Rows
 * from before keep no key: plain files whose size and SHA-256 are their plaintext's.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIRROR_MIGRATIONS } from '../../../sync/client/mirror/migrations.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import { sealedSizeOf } from '../../../sync/protocol/sealed-format.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('mirror migration 25', () => {
  it('keeps the attachments from before without a key, and keeps the key of a received encrypted file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mirror-25-'));
    dirs.push(dir);
    const path = join(dir, 'mirror.sqlite');
    const v24 = openDatabase(path, MIRROR_MIGRATIONS.slice(0, 24));
    v24.exec(`INSERT INTO attachments (conversation_id, message_id, ordinal, attachment_id, sha256, size, name, mime, kind,
      download_state) VALUES ('c1', 'old', 0, '${'a'.repeat(32)}', '${'b'.repeat(64)}', 1000, 'old.bin',
      'application/octet-stream', 'file', 'queued')`);
    v24.close();
    openDatabase(path, MIRROR_MIGRATIONS.slice(0, 25)).close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(25);
    expect(db.prepare("SELECT size, file_key FROM attachments WHERE message_id = 'old'").get()).toEqual({
      size: 1000,
      file_key: null,
    });
    db.close();

    const mirror = Mirror.open(path);
    const key = Buffer.alloc(32, 9).toString('base64');
    const received = {
      id: 'd'.repeat(32),
      sha256: 'e'.repeat(64),
      size: sealedSizeOf(200_000),
      key,
      name: 'new.bin',
      mime: 'application/octet-stream',
      kind: 'file' as const,
    };
    mirror.attachments.storeReceived('c1', 'new', [received]);
    mirror.attachments.requestDownload({ conversationId: 'c1', messageId: 'new', index: 0 });
    const jobs = mirror.attachments.queuedDownloads().map((job) => [job.messageId, job.size, job.key]);
    // Messages the mirror does not hold are in no order: only which jobs there are counts.
    expect(jobs).toHaveLength(2);
    expect(jobs).toEqual(
      expect.arrayContaining([
        ['old', 1000, null],
        ['new', sealedSizeOf(200_000), key],
      ]),
    );
    // People see the size of the file itself, not of its sealed form; a plain one from before as it was.
    const views = mirror.attachments.views('c1', ['old', 'new']);
    expect(views.get('old')![0]!.size).toBe(1000);
    expect(views.get('new')![0]!.size).toBe(200_000);
    // A forward passes the key on with the file, by reference.
    mirror.attachments.insertForwarded('c2', 'fwd', { conversationId: 'c1', messageId: 'new' });
    expect(mirror.attachments.forSend('c2', 'fwd')).toEqual([received]);
    mirror.close();
  });
});
