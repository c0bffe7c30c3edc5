/**
 * The folder provider: search by words of titles and tags, pages, only files its index lists and
 * only inside the folder, and an index that is checked when read and read again when it changes.
 */
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refusal } from './refusal.js';
import { openFolderProvider } from '../../../../sync/server/gifs/folder-provider.js';

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function folder(index: unknown, files: Record<string, Buffer> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gif-folder-'));
  dirs.push(dir);
  await writeFile(join(dir, 'index.json'), typeof index === 'string' ? index : JSON.stringify(index));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  return dir;
}

const entry = (id: string, title: string, tags: string[] = [], file = `${id}.gif`) => ({
  id,
  title,
  tags,
  file,
  width: 10,
  height: 20,
});

describe('the folder GIF provider', () => {
  it('finds GIFs by the beginnings of words of their title and tags, whatever the case', async () => {
    const dir = await folder([
      entry('cat1', 'Happy Cat', ['Dance']),
      entry('dog1', 'Sleepy dog', ['cats-and-dogs']),
      entry('x', 'Nothing'),
    ]);
    const gifs = await openFolderProvider(dir);
    expect((await gifs.search('CAT', 0, 24)).results.map((gif) => gif.id)).toEqual(['cat1', 'dog1']);
    expect((await gifs.search('happy danc', 0, 24)).results).toEqual([{ id: 'cat1', title: 'Happy Cat', width: 10, height: 20 }]);
    expect((await gifs.search('happy dog', 0, 24)).results).toEqual([]);
    expect(gifs.attribution).toBeNull();
  });

  it('pages: at most `limit` from `offset`, and where the next page starts until the last', async () => {
    const dir = await folder(Array.from({ length: 5 }, (_, i) => entry(`g${i}`, `party ${i}`)));
    const gifs = await openFolderProvider(dir);
    const first = await gifs.search('party', 0, 2);
    expect(first).toMatchObject({ next: 2 });
    expect(first.results.map((gif) => gif.id)).toEqual(['g0', 'g1']);
    expect(await gifs.search('party', 4, 2)).toMatchObject({ results: [{ id: 'g4' }], next: null });
    expect(await gifs.search('party', 10, 2)).toEqual({ results: [], next: null });
  });

  it('serves the bytes of a listed GIF, and nothing for an id it does not list', async () => {
    const dir = await folder([entry('cat1', 'cat')], { 'cat1.gif': GIF, 'secret.gif': GIF });
    const gifs = await openFolderProvider(dir);
    expect(await gifs.gif('cat1', 'original')).toEqual(GIF);
    expect(await gifs.gif('cat1', 'preview')).toEqual(GIF);
    expect(await gifs.gif('secret', 'original')).toBeNull();
    expect(await gifs.gif('../index', 'original')).toBeNull();
  });

  it('refuses an index naming files outside the folder, and a listed link that leads out of it', async () => {
    for (const file of ['../outside.gif', '/etc/passwd', 'a/../../b.gif', 'a\\b.gif']) {
      expect(await refusal(openFolderProvider(await folder([entry('bad', 'bad', [], file)])))).toEqual({
        status: 502,
        code: 'gif_provider_failed',
      });
    }
    const outside = await folder([], { 'away.gif': GIF });
    const dir = await folder([entry('linked', 'linked')]);
    await symlink(join(outside, 'away.gif'), join(dir, 'linked.gif'));
    const gifs = await openFolderProvider(dir);
    expect(await refusal(gifs.gif('linked', 'original'))).toEqual({ status: 502, code: 'gif_provider_failed' });
  });

  it('refuses a file that is not a GIF, or too large, and a listed file that is missing', async () => {
    const dir = await folder([entry('png', 'png'), entry('big', 'big'), entry('gone', 'gone')], {
      'png.gif': Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
      'big.gif': Buffer.concat([GIF, Buffer.alloc(100)]),
    });
    const gifs = await openFolderProvider(dir, GIF.length + 10);
    expect(await refusal(gifs.gif('png', 'original'))).toEqual({ status: 502, code: 'gif_not_gif' });
    expect(await refusal(gifs.gif('big', 'original'))).toEqual({ status: 502, code: 'gif_too_large' });
    expect(await refusal(gifs.gif('gone', 'original'))).toEqual({ status: 502, code: 'gif_provider_failed' });
  });

  it('will not open a folder whose index is not JSON, of the wrong shape, or lists an id twice', async () => {
    for (const index of [
      '{not json',
      { gifs: [] },
      [{ ...entry('a', 'a'), width: -1 }],
      [entry('a', 'a'), entry('a', 'b')],
      [entry('a/b', 'a')],
    ]) {
      expect(await refusal(openFolderProvider(await folder(index)))).toEqual({ status: 502, code: 'gif_provider_failed' });
    }
    const empty = await mkdtemp(join(tmpdir(), 'gif-folder-'));
    dirs.push(empty);
    await mkdir(join(empty, 'sub'));
    expect(await refusal(openFolderProvider(empty))).toEqual({ status: 502, code: 'gif_provider_failed' });
  });

  it('reads the index again once it changes, and fails searches while it is broken', async () => {
    const dir = await folder([entry('a', 'alpha')]);
    const gifs = await openFolderProvider(dir);
    expect((await gifs.search('beta', 0, 24)).results).toEqual([]);
    const index = join(dir, 'index.json');
    await writeFile(index, JSON.stringify([entry('a', 'alpha'), entry('b', 'beta')]));
    // The modification time decides; set it apart explicitly, as filesystems keep it coarsely.
    await utimes(index, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    expect((await gifs.search('beta', 0, 24)).results.map((gif) => gif.id)).toEqual(['b']);
    await writeFile(index, '[');
    expect(await refusal(gifs.search('beta', 0, 24))).toEqual({ status: 502, code: 'gif_provider_failed' });
  });
});
