/**
 * GIF search through the running server (issue 33), with the folder provider the tests can own:
 * signed-in accounts only, pages of results, the GIF's bytes served by the server, a per-account
 * rate limit, a cache in front of the provider, and clear codes when there is no provider or it fails.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GIF_SEARCH_PATH,
  GIFS_PATH,
  gifErrorResponseSchema,
  gifSearchResponseSchema,
} from '../../../sync/protocol/gif-frames.js';
import { openFolderProvider } from '../../../sync/server/gifs/folder-provider.js';
import { providerFailed, type GifProvider } from '../../../sync/server/gifs/gif-provider.js';
import type { GifsOptions } from '../../../sync/server/gifs/gifs-endpoint.js';
import { createServerHarness, type TestServer } from '../../support/server-harness.js';

const h = createServerHarness();
afterEach(() => h.cleanup());

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const ROOMY = { searchesPerAccount: { points: 1_000, seconds: 60 }, gifsPerAccount: { points: 1_000, seconds: 60 } };

/** A folder of 30 cat GIFs and one dog, and a provider over it. */
async function catFolder(): Promise<GifProvider> {
  const dir = await h.tempDir();
  const index = [
    ...Array.from({ length: 30 }, (_, i) => ({
      id: `cat${i}`,
      title: `Cat ${i}`,
      tags: ['kitten'],
      file: `cat${i}.gif`,
      width: 100,
      height: 80,
    })),
    { id: 'dog', title: 'Happy dog', tags: ['puppy'], file: 'dog.gif', width: 50, height: 50 },
  ];
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await Promise.all(index.map((entry) => writeFile(join(dir, entry.file), GIF)));
  return openFolderProvider(dir);
}

async function signedIn(
  gifs?: GifsOptions,
): Promise<{ server: TestServer; get: (path: string, token?: string | null) => Promise<Response> }> {
  const server = await h.startServer(gifs ? { gifs } : {});
  const { token } = await h.createAccount(server);
  return {
    server,
    get: (path, as = token) => fetch(server.httpUrl + path, { headers: as === null ? {} : { authorization: `Bearer ${as}` } }),
  };
}

const codeOf = async (response: Response) => gifErrorResponseSchema.parse(await response.json()).code;

describe('GIF search through the server', () => {
  it('is for signed-in accounts only', async () => {
    const { get } = await signedIn({ provider: await catFolder(), limits: ROOMY });
    for (const path of [`${GIF_SEARCH_PATH}?q=cat`, `${GIFS_PATH}/dog`]) {
      for (const token of [null, 'not-a-session-token-at-all']) {
        const response = await get(path, token);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
        expect(await codeOf(response)).toBe('unauthorized');
      }
    }
  });

  it('answers gifs_not_configured on a server without a provider', async () => {
    const { get } = await signedIn();
    for (const path of [`${GIF_SEARCH_PATH}?q=cat`, `${GIFS_PATH}/dog`]) {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(await codeOf(response)).toBe('gifs_not_configured');
    }
  });

  it('pages through results of 24, and serves a GIF’s bytes as image/gif', async () => {
    const { get } = await signedIn({ provider: await catFolder(), limits: ROOMY });
    const first = gifSearchResponseSchema.parse(await (await get(`${GIF_SEARCH_PATH}?q=Kitten`)).json());
    expect(first.results).toHaveLength(24);
    expect(first.results[0]).toEqual({ id: 'cat0', title: 'Cat 0', width: 100, height: 80 });
    expect(first).toMatchObject({ next: 24, attribution: null });
    const second = gifSearchResponseSchema.parse(await (await get(`${GIF_SEARCH_PATH}?q=kitten&offset=24`)).json());
    expect(second.results.map((gif) => gif.id)).toEqual(['cat24', 'cat25', 'cat26', 'cat27', 'cat28', 'cat29']);
    expect(second.next).toBeNull();

    const gif = await get(`${GIFS_PATH}/dog`);
    expect(gif.status).toBe(200);
    expect(gif.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await gif.arrayBuffer())).toEqual(GIF);
    expect(Buffer.from(await (await get(`${GIFS_PATH}/dog?rendition=preview`)).arrayBuffer())).toEqual(GIF);
    const unknownRendition = await get(`${GIFS_PATH}/dog?rendition=huge`);
    expect([unknownRendition.status, await codeOf(unknownRendition)]).toEqual([400, 'invalid']);
    for (const id of ['nope', '..%2Findex.json', '..', 'a/b']) {
      const missing = await get(`${GIFS_PATH}/${id}`);
      expect(missing.status, id).toBe(404);
      expect(await codeOf(missing)).toBe('not_found');
    }
  });

  it('refuses queries too long or empty, and offsets out of bounds, with 400 invalid', async () => {
    const { get, server } = await signedIn({ provider: await catFolder(), limits: ROOMY });
    for (const query of [
      `q=${'a'.repeat(101)}`,
      'q=',
      'q=%20%20',
      '',
      'q=cat&offset=-1',
      'q=cat&offset=5000',
      'q=cat&offset=1e3',
      'q=cat&offset=x',
    ]) {
      const response = await get(`${GIF_SEARCH_PATH}?${query}`);
      expect(response.status, query).toBe(400);
      expect(await codeOf(response)).toBe('invalid');
    }
    expect((await fetch(`${server.httpUrl}${GIF_SEARCH_PATH}?q=cat`, { method: 'POST' })).status).toBe(405);
  });

  it('limits how often one account searches and fetches, and not others', async () => {
    const limits = { searchesPerAccount: { points: 2, seconds: 60 }, gifsPerAccount: { points: 1, seconds: 60 } };
    const { get, server } = await signedIn({ provider: await catFolder(), limits });
    expect((await get(`${GIF_SEARCH_PATH}?q=cat`)).status).toBe(200);
    expect((await get(`${GIF_SEARCH_PATH}?q=dog`)).status).toBe(200);
    const refused = await get(`${GIF_SEARCH_PATH}?q=cat`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await codeOf(refused)).toBe('rate_limited');
    expect((await get(`${GIFS_PATH}/dog`)).status).toBe(200);
    expect((await get(`${GIFS_PATH}/dog`)).status).toBe(429);

    const other = await h.createAccount(server);
    expect((await get(`${GIF_SEARCH_PATH}?q=cat`, other.token)).status).toBe(200);
  });

  it('asks the provider once for a search repeated, whatever its case and spacing', async () => {
    const folder = await catFolder();
    const asked: string[] = [];
    const counting: GifProvider = {
      ...folder,
      search: (query, offset, limit) => (asked.push(`${query}@${offset}`), folder.search(query, offset, limit)),
    };
    const { get } = await signedIn({ provider: counting, limits: ROOMY });
    for (const query of ['happy%20dog', 'HAPPY%20%20dog%20', 'happy%20dog']) {
      expect(gifSearchResponseSchema.parse(await (await get(`${GIF_SEARCH_PATH}?q=${query}`)).json()).results).toHaveLength(1);
    }
    expect((await get(`${GIF_SEARCH_PATH}?q=happy%20dog&offset=1`)).status).toBe(200);
    expect(asked).toEqual(['happy dog@0', 'happy dog@1']);
  });

  it('answers 502 with a code when the provider fails, and keeps serving', async () => {
    const failing: GifProvider = {
      attribution: 'giphy',
      search: () => Promise.reject(providerFailed('GIPHY did not answer')),
      gif: () => Promise.reject(new Error('disk on fire')),
    };
    const { get, server } = await signedIn({ provider: failing, limits: ROOMY });
    const search = await get(`${GIF_SEARCH_PATH}?q=cat`);
    expect(search.status).toBe(502);
    expect(await codeOf(search)).toBe('gif_provider_failed');
    const gif = await get(`${GIFS_PATH}/abc`);
    expect(gif.status).toBe(502);
    expect(await codeOf(gif)).toBe('gif_provider_failed');
    expect((await fetch(`${server.httpUrl}/v1/health`)).status).toBe(200);
    expect(server.logLines.some((line) => line.message === 'The GIF provider failed')).toBe(true);
  });
});
