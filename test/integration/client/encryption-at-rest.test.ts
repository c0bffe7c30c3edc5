/**
 * A profile at rest with a real client core signed in to a real server: the session token and
 * the messages exist only inside the encrypted mirror (no file of the profile holds their bytes),
 * and every folder of it is 0700, every file 0600, the attachment store included.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { MIRROR_FILE, openClientCore } from '../../../sync/client/client-core.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { attachFile, fileBytes, sha256Of, storedBytes } from '../../support/attachments-files.js';
import { eventually } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';

const servers = createServerHarness();
/** Bytes put into attachments, to look for on disk. */
const KNOWN = Buffer.from('ATTACHMENT-BYTES-NOBODY-MAY-READ');
const dirs: string[] = [];
const cores: ClientCore[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((core) => core.close()));
  await servers.cleanup();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'encryption-at-rest-'));
  dirs.push(dir);
  return dir;
}

/** Every file and folder under `dir`, with its mode. */
async function walk(dir: string): Promise<{ path: string; folder: boolean; mode: string }[]> {
  const found: { path: string; folder: boolean; mode: string }[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const info = await stat(path);
    found.push({ path, folder: info.isDirectory(), mode: (info.mode & 0o777).toString(8) });
    if (info.isDirectory()) found.push(...(await walk(path)));
  }
  return found;
}

describe('a profile at rest', () => {
  it('holds the session token and the messages only inside the encrypted mirror; folders 0700, files 0600', async () => {
    const server = await servers.startServer({});
    const profileDir = join(await tempDir(), 'profile');
    const mirrorKey = randomBytes(32);
    const umask = process.umask(0o022);
    try {
      const core = await openClientCore({ profileDir, defaultServerUrl: server.url, mirrorKey });
      cores.push(core);
      await core.createAccount({ serverUrl: server.url, username: 'ann', displayName: 'Ann', password: DEFAULT_TEST_PASSWORD });
      await eventually(
        () => core.getConnectionState(),
        (state) => state === 'online',
        'online',
      );
      const bob = await openClientCore({ profileDir: await tempDir(), defaultServerUrl: server.url });
      cores.push(bob);
      await bob.createAccount({ serverUrl: server.url, username: 'bob', displayName: 'Bob', password: DEFAULT_TEST_PASSWORD });
      const { id: conversationId } = await core.startConversation({ username: 'bob' });
      const file = await attachFile(profileDir, await tempDir(), 'notes.bin', fileBytes(10_000), mirrorKey);
      await core.sendMessage({
        conversationId,
        text: 'a sentence nobody may read off the disk',
        attachments: [{ sha256: file.sha256, name: 'notes.bin', kind: 'file' }],
      });
      await core.close();
    } finally {
      process.umask(umask);
    }

    const mirror = Mirror.open(join(profileDir, MIRROR_FILE), { key: mirrorKey });
    const token = mirror.session()?.token;
    mirror.close();
    expect(token).toMatch(/.{16,}/);

    const entries = await walk(profileDir);
    expect(entries.some((entry) => entry.path.endsWith(MIRROR_FILE))).toBe(true);
    for (const entry of entries.filter((candidate) => !candidate.folder)) {
      const bytes = await readFile(entry.path);
      expect({ path: entry.path, token: bytes.includes(Buffer.from(token!)) }).toEqual({ path: entry.path, token: false });
      expect(bytes.includes(Buffer.from('nobody may read off the disk'))).toBe(false);
    }
    expect((await stat(profileDir)).mode & 0o777).toBe(0o700);
    for (const entry of entries) {
      expect({ path: entry.path, mode: entry.mode }).toEqual({ path: entry.path, mode: entry.folder ? '700' : '600' });
    }
  });

  it('keeps attachment files encrypted on both sides: no plaintext in either profile, the plaintext on the server', async () => {
    const server = await servers.startServer({});
    const [annProfile, bobProfile] = [join(await tempDir(), 'ann'), join(await tempDir(), 'bob')];
    const [annKey, bobKey] = [randomBytes(32), randomBytes(32)];
    const ann = await openClientCore({ profileDir: annProfile, defaultServerUrl: server.url, mirrorKey: annKey });
    const bob = await openClientCore({ profileDir: bobProfile, defaultServerUrl: server.url, mirrorKey: bobKey });
    cores.push(ann, bob);
    for (const [core, username] of [
      [ann, 'ann'],
      [bob, 'bob'],
    ] as const) {
      await core.createAccount({ serverUrl: server.url, username, displayName: username, password: DEFAULT_TEST_PASSWORD });
    }
    const { id: conversationId } = await ann.startConversation({ username: 'bob' });
    // Three chunks and more, the known bytes in each of them.
    const bytes = fileBytes(200_000);
    for (let at = 50; at < bytes.length - KNOWN.length; at += 30_000) KNOWN.copy(bytes, at);
    const file = await attachFile(annProfile, await tempDir(), 'known.bin', bytes, annKey);
    const sent = await ann.sendMessage({
      conversationId,
      text: '',
      attachments: [{ sha256: file.sha256, name: 'known.bin', kind: 'file' }],
    });
    await eventually(
      async () => (await bob.listMessages({ conversationId, limit: 10 })).messages.find((m) => m.id === sent.id),
      (message) => message !== undefined,
      'bob receives the message',
      30_000,
    );
    await bob.downloadAttachment({ conversationId, messageId: sent.id, index: 0 });
    await eventually(
      async () => (await bob.listMessages({ conversationId, limit: 10 })).messages.find((m) => m.id === sent.id),
      (message) => message?.attachments[0]?.localUrl != null,
      'the download completes',
      30_000,
    );

    // The server got the sealed file, as it is stored: the bytes the SHA-256 names, no plaintext.
    const onServer = await walk(join(server.dataDir, 'attachments'));
    const uploaded = await Promise.all(onServer.filter((entry) => !entry.folder).map((entry) => readFile(entry.path)));
    expect(uploaded.some((copy) => sha256Of(copy) === file.sha256)).toBe(true);
    expect(uploaded.some((copy) => copy.includes(KNOWN))).toBe(false);

    for (const [profileDir, key] of [
      [annProfile, annKey],
      [bobProfile, bobKey],
    ] as const) {
      const files = (await walk(profileDir)).filter((entry) => !entry.folder);
      expect(files.some((entry) => entry.path.endsWith(file.sha256))).toBe(true);
      for (const entry of files) {
        expect({ path: entry.path, plaintext: (await readFile(entry.path)).includes(KNOWN) }).toEqual({
          path: entry.path,
          plaintext: false,
        });
      }
      expect((await storedBytes(profileDir, file.sha256, key))!.equals(bytes)).toBe(true);
    }
  }, 60_000);
});
