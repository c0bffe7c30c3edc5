/**
 * A server (or anything between) that sends more bytes for a file than its sender declared cannot
 * fill the receiver's disk: the download stops at the declared size, fails as a damaged file, and
 * leaves nothing of it behind.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ATTACHMENTS_PATH } from '../../../sync/protocol/attachments.js';
import { openClientCore } from '../../../sync/client/client-core.js';
import { attachFile, fileBytes } from '../../support/attachments-files.js';
import { createClientHarness, eventually } from '../../support/client-harness.js';
import { createServerHarness, DEFAULT_TEST_PASSWORD } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await clients.cleanup();
  await servers.cleanup();
});

const DECLARED = 300_000;
const EXTRA = 64 * 1024 * 1024;

/** The real answer for an attachment, with EXTRA more bytes after it; counts what the downloader pulled. */
function paddingFetch(pulled: { bytes: number }): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.includes(`${ATTACHMENTS_PATH}/`) || !response.body) return response;
    const real = response.body.getReader();
    let extra = EXTRA;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = (await real.read()) as { done: boolean; value?: Uint8Array };
        const chunk: Uint8Array | null = next.done
          ? extra > 0
            ? new Uint8Array(Math.min(extra, 256 * 1024))
            : null
          : (next.value ?? null);
        if (next.done && chunk) extra -= chunk.length;
        if (!chunk) return controller.close();
        pulled.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return new Response(body, { status: response.status, headers });
  };
}

it('stops a download at the size its sender declared, fails it as damaged and keeps none of it', async () => {
  const server = await servers.startServer();
  const alice = await clients.open(await clients.profileDir(), server.url);
  await alice.createAccount({ serverUrl: server.url, username: 'alice', displayName: 'Alice', password: DEFAULT_TEST_PASSWORD });
  const bobProfile = await clients.profileDir();
  const pulled = { bytes: 0 };
  const bob = await openClientCore({ profileDir: bobProfile, defaultServerUrl: server.url }, { fetch: paddingFetch(pulled) });
  closers.push(() => bob.close());
  await bob.createAccount({ serverUrl: server.url, username: 'bob', displayName: 'Bob', password: DEFAULT_TEST_PASSWORD });
  for (const core of [alice, bob]) {
    await eventually(
      () => core.getConnectionState(),
      (state) => state === 'online',
      'online',
    );
  }
  const { id: conversationId } = await alice.startConversation({ username: 'bob' });
  const file = await attachFile(alice.profileDir, await clients.profileDir(), 'report.bin', fileBytes(DECLARED));
  await alice.sendMessage({
    conversationId,
    text: 'the report',
    attachments: [{ sha256: file.sha256, name: 'report.bin', kind: 'file' }],
  });

  const received = await eventually(
    async () => (await bob.listMessages({ conversationId })).messages[0] ?? null,
    (message) => message?.attachments[0]?.size === DECLARED,
    'bob has the message',
    30_000,
  );
  await bob.downloadAttachment({ conversationId, messageId: received!.id, index: 0 });
  const failed = await eventually(
    async () => (await bob.listMessages({ conversationId })).messages[0]?.attachments[0] ?? null,
    (attachment) => attachment?.transfer?.state === 'failed',
    'the download fails',
    30_000,
  );
  expect(failed!.transfer!.error).toBe('checksum_mismatch');
  expect(failed!.localUrl).toBeNull();
  // Stopped at the declared size, give or take what one read brought: not the 64 MiB on offer.
  expect(pulled.bytes).toBeLessThan(DECLARED + 1024 * 1024);
  const leftovers = await readdir(join(bobProfile, 'attachments'), { recursive: true }).catch(() => []);
  expect(leftovers.filter((name) => !name.endsWith('/') && name.includes('.'))).toEqual([]);
  await rm(file.path, { force: true });
});
