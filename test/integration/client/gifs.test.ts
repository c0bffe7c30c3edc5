/**
 * GIFs between real client cores and a real server with the folder provider (issue 33): the core
 * searches through its own server, keeps the GIFs a page showed in memory (a second look asks the
 * server nothing), and a GIF chosen goes as an ordinary sealed image the recipient downloads from
 * the server like any photo. Without a provider, offline, or for an unknown id, the app gets codes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { GIFS_NOT_CONFIGURED } from '../../../sync/app-api/gifs-api.js';
import { openFolderProvider } from '../../../sync/server/gifs/folder-provider.js';
import type { GifProvider } from '../../../sync/server/gifs/gif-provider.js';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually } from '../../support/client-harness.js';
import { converse, person } from '../../support/people.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

/** A 1×1 GIF; each file in the folder differs in its last bytes so each has its own SHA-256. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const gifNumbered = (n: number) => Buffer.concat([GIF, Buffer.from(`#${n}`)]);

/** A folder of 30 cats and a provider over it that counts the GIFs the server had to fetch. */
async function catProvider(): Promise<{ provider: GifProvider; fetched: string[] }> {
  const dir = await servers.tempDir();
  const index = Array.from({ length: 30 }, (_, i) => ({
    id: `cat${i}`,
    title: `Cat ${i}`,
    tags: ['kitten'],
    file: `cat${i}.gif`,
    width: 120,
    height: 90,
  }));
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await Promise.all(index.map((entry, i) => writeFile(join(dir, entry.file), gifNumbered(i))));
  const folder = await openFolderProvider(dir);
  const fetched: string[] = [];
  const provider: GifProvider = {
    attribution: folder.attribution,
    search: (query, offset, limit) => folder.search(query, offset, limit),
    gif: (id, rendition) => {
      fetched.push(`${id} ${rendition}`);
      return folder.gif(id, rendition);
    },
  };
  return { provider, fetched };
}

const ROOMY = { searchesPerAccount: { points: 1_000, seconds: 60 }, gifsPerAccount: { points: 1_000, seconds: 60 } };

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppApiError);
  const { code, message } = error as AppApiError;
  return { code, message };
}

describe('GIFs through the server', () => {
  it('searches in pages, shows each GIF once from memory, and sends the chosen one as an image the other person receives', async () => {
    const { provider, fetched } = await catProvider();
    const server = await servers.startServer({ gifs: { provider, limits: ROOMY } });
    const alice = await person(clients, server, 'alice');
    const bob = await person(clients, server, 'bob');
    const conversationId = await converse(alice.core, bob.core, 'bob');

    const first = await alice.core.searchGifs({ query: 'Kitten', offset: 0 });
    expect(first.results).toHaveLength(24);
    expect(first.results[0]).toEqual({ id: 'cat0', title: 'Cat 0', width: 120, height: 90 });
    expect(first).toMatchObject({ next: 24, attribution: null });
    const second = await alice.core.searchGifs({ query: 'kitten', offset: first.next! });
    expect(second.results.map((result) => result.id)).toEqual(['cat24', 'cat25', 'cat26', 'cat27', 'cat28', 'cat29']);
    expect(second.next).toBeNull();

    expect((await alice.core.gifBytes!('cat3')).equals(gifNumbered(3))).toBe(true);
    expect((await alice.core.gifBytes!('cat3')).equals(gifNumbered(3))).toBe(true);
    const stored = await alice.core.storeGif({ id: 'cat3' });
    // The picker's preview, then the GIF itself to send.
    expect(fetched).toEqual(['cat3 preview', 'cat3 original']);
    expect(stored).toMatchObject({ size: gifNumbered(3).length, mime: 'image/gif' });

    const sent = await alice.core.sendMessage({
      conversationId,
      text: '',
      attachments: [{ sha256: stored.sha256, name: 'Cat 3.gif', kind: 'image', width: 120, height: 90 }],
    });
    expect(sent.attachments[0]).toMatchObject({ kind: 'image', mime: 'image/gif', name: 'Cat 3.gif' });
    const received = await eventually(
      async () => (await bob.core.listMessages({ conversationId })).messages.find((message) => message.id === sent.id),
      (message) => message?.attachments[0]?.localUrl != null,
      'bob’s copy of the GIF downloaded',
    );
    expect(received!.attachments[0]).toMatchObject({ kind: 'image', mime: 'image/gif', width: 120, height: 90 });
    // Bob's device got it from the server's attachment store, not the GIF search.
    expect(fetched).toEqual(['cat3 preview', 'cat3 original']);
  });

  it('says why not: no provider, working offline, an id the provider does not have, and no id at all', async () => {
    const server = await servers.startServer();
    const alice = await person(clients, server, 'alice');
    expect(await refusal(alice.core.searchGifs({ query: 'cat', offset: 0 }))).toEqual({
      code: 'not_found',
      message: GIFS_NOT_CONFIGURED,
    });

    const { provider } = await catProvider();
    const withGifs = await servers.startServer({ gifs: { provider, limits: ROOMY } });
    const bob = await person(clients, withGifs, 'bob');
    expect(await refusal(bob.core.gifBytes!('nobody-has-this'))).toEqual({ code: 'not_found', message: 'not_found' });
    expect(await refusal(bob.core.gifBytes!('../index.json'))).toMatchObject({ code: 'invalid_argument' });

    await bob.core.setPreferences({ workOffline: true });
    expect((await refusal(bob.core.searchGifs({ query: 'cat', offset: 0 }))).code).toBe('offline');
    expect((await refusal(bob.core.storeGif({ id: 'cat1' }))).code).toBe('offline');
  });
});
