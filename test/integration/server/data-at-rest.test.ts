/**
 * The server's data at rest: its folders are the owner's alone and so is every file in them, whatever
 * the umask, and the ciphertext of an envelope deleted for everyone is overwritten in the database
 * file rather than left in its free pages.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ATTACHMENTS_DIR } from '../../../sync/server/attachments/attachment-files.js';
import { SERVER_DATABASE_FILE } from '../../../sync/server/store/sqlite-server-store.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';
import { testFile, uploadFile } from './attachment-support.js';

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Runs `body` with the permissive umask many systems start services with. */
async function withUmask<T>(umask: number, body: () => Promise<T>): Promise<T> {
  const before = process.umask(umask);
  try {
    return await body();
  } finally {
    process.umask(before);
  }
}

describeEachStore('data at rest', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it("keeps the data folder, the attachments and their sidecars the owner's alone under a 022 umask", async () => {
    await withUmask(0o022, async () => {
      const server = await h.startServer();
      const { alice, aliceSocket, conversation } = await h.pair(server);
      const file = await testFile(await h.tempDir(), 70_000);
      const id = await uploadFile(server.httpUrl, alice.token, file);
      await aliceSocket.send(conversation.id, 'm1', 'the report', { attachments: [id] });

      expect(modeOf(server.dataDir)).toBe(0o700);
      expect(modeOf(join(server.dataDir, ATTACHMENTS_DIR))).toBe(0o700);
      expect(modeOf(join(server.dataDir, ATTACHMENTS_DIR, id))).toBe(0o600);
      expect(modeOf(join(server.dataDir, ATTACHMENTS_DIR, `${id}.json`))).toBe(0o600);
      if (backend.name === 'sqlite') {
        for (const suffix of ['', '-wal', '-shm']) {
          expect(modeOf(join(server.dataDir, `${SERVER_DATABASE_FILE}${suffix}`)), `server.sqlite${suffix}`).toBe(0o600);
        }
      }
    });
  });
});

const sqlite = createServerHarness();
afterEach(() => sqlite.cleanup());

it('overwrites the ciphertext of an envelope deleted for everyone in the SQLite database file', async () => {
  const server = await sqlite.startServer();
  const { aliceSocket, conversation } = await sqlite.pair(server);
  // Long enough to spill into overflow pages, which the delete frees whole; its ends are what to look for.
  const ciphertext = randomBytes(9_000).toString('base64');
  const traces = [ciphertext.slice(0, 64), ciphertext.slice(-64)];
  const bytesOnDisk = () =>
    Buffer.concat(
      ['', '-wal']
        .map((suffix) => join(server.dataDir, `${SERVER_DATABASE_FILE}${suffix}`))
        .filter((path) => existsSync(path))
        .map((path) => readFileSync(path)),
    );
  const devicesVersion = await devicesVersionOf(aliceSocket, conversation.id);
  await aliceSocket.call(
    { type: 'send_envelope', conversationId: conversation.id, clientId: 'secret', ciphertext, devicesVersion },
    'sent',
  );
  expect(traces.map((trace) => bytesOnDisk().includes(trace))).toEqual([true, true]);

  await aliceSocket.send(conversation.id, 'forget', 'deleted', { deletes: 'secret' });
  // What a checkpoint leaves: the WAL's pages copied into the file, the WAL emptied.
  await server.close();
  expect(traces.map((trace) => bytesOnDisk().includes(trace))).toEqual([false, false]);
});
