import { readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { GIF_LIMITS } from '../../protocol/gif-frames.js';
import { checkedGif } from './gif-bytes.js';
import type { GifPage, GifProvider } from './gif-provider.js';
import { providerFailed } from './gif-provider.js';
import { folderIndexSchema, matches, words, type FolderEntry } from './folder-index.js';

export const FOLDER_INDEX = 'index.json';

interface LoadedIndex {
  /** What the index file was when read (modification time and size): read again once either changes. */
  version: string;
  entries: Array<FolderEntry & { words: string[] }>;
  byId: Map<string, FolderEntry>;
}

/**
 * The self-hosted provider: a folder of GIFs listed in `index.json`. The index is read at start
 * (an invalid one stops the server from starting) and again whenever its modification time or
 * size changes, so the operator can add GIFs without a restart; only files the index lists are
 * ever read, and only inside the folder.
 */
export async function openFolderProvider(dir: string, maxBytes: number = GIF_LIMITS.maxGifBytes): Promise<GifProvider> {
  const root = await realpath(dir);
  let loaded = await load(root, null);

  const current = async (): Promise<LoadedIndex> => (loaded = await load(root, loaded));

  return {
    attribution: null,
    async search(query, offset, limit): Promise<GifPage> {
      const queryWords = words(query);
      const found = (await current()).entries.filter((entry) => matches(entry.words, queryWords));
      const results = found.slice(offset, offset + limit).map(({ id, title, width, height }) => ({ id, title, width, height }));
      return { results, next: offset + limit < found.length ? offset + limit : null };
    },
    // One file per GIF: the operator's own are small enough to show as they are.
    async gif(id) {
      const entry = (await current()).byId.get(id);
      if (!entry) return null;
      let path: string;
      try {
        // Through links too: a listed file that leads out of the folder is refused like a bad name.
        path = await realpath(join(root, entry.file));
      } catch {
        throw providerFailed(`The GIF folder lists ${id} but has no file for it`);
      }
      const inside = relative(root, path);
      if (inside === '' || inside.startsWith('..') || isAbsolute(inside))
        throw providerFailed(`The GIF ${id} is outside the folder`);
      const { size } = await stat(path);
      if (size > maxBytes) throw providerFailed(`The GIF is larger than ${maxBytes} bytes`, 'gif_too_large');
      return checkedGif(await readFile(path), maxBytes);
    },
  };
}

/** The index as it is now: the one already read if the file did not change, else read and checked afresh. */
async function load(root: string, previous: LoadedIndex | null): Promise<LoadedIndex> {
  const file = join(root, FOLDER_INDEX);
  let version: string;
  try {
    const info = await stat(file);
    version = `${info.mtimeMs}:${info.size}`;
  } catch {
    throw providerFailed(`The GIF folder has no ${FOLDER_INDEX}`);
  }
  if (previous?.version === version) return previous;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw providerFailed(`The GIF folder's ${FOLDER_INDEX} is not JSON`);
  }
  const parsed = folderIndexSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw providerFailed(
      `The GIF folder's ${FOLDER_INDEX} is not valid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return {
    version,
    entries: parsed.data.map((entry) => ({ ...entry, words: [...words(entry.title), ...entry.tags.flatMap(words)] })),
    byId: new Map(parsed.data.map((entry) => [entry.id, entry])),
  };
}
