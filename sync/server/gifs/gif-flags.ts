import { resolve } from 'node:path';
import { openFolderProvider } from './folder-provider.js';
import type { GifProvider } from './gif-provider.js';
import { giphyProvider } from './giphy-provider.js';

/** What `--gif-provider` (and `--gif-api-key`) chose: GIPHY with the operator's key, or a folder of GIFs. */
export type GifProviderChoice = { kind: 'giphy'; apiKey: string } | { kind: 'folder'; dir: string };

/** The provider the flags name, null for none, or a complaint naming the flags. */
export function gifProviderChoice(
  provider: string | undefined,
  apiKey: string | undefined,
): GifProviderChoice | null | { error: string } {
  if (provider === undefined) return apiKey === undefined ? null : { error: '--gif-api-key is for --gif-provider giphy' };
  if (provider === 'giphy') {
    if (!apiKey) return { error: "--gif-provider giphy needs --gif-api-key <key>: the operator's GIPHY API key" };
    return { kind: 'giphy', apiKey };
  }
  if (provider.startsWith('folder:') && provider.length > 'folder:'.length) {
    if (apiKey !== undefined) return { error: '--gif-api-key is for --gif-provider giphy' };
    return { kind: 'folder', dir: resolve(provider.slice('folder:'.length)) };
  }
  return { error: `--gif-provider must be "giphy" or "folder:<dir>", got "${provider}"` };
}

/** Opens the chosen provider: a folder's index is read and checked now, so a bad one stops the server from starting. */
export function openGifProvider(choice: GifProviderChoice): Promise<GifProvider> {
  return choice.kind === 'giphy'
    ? Promise.resolve(giphyProvider({ apiKey: choice.apiKey, fetch: globalThis.fetch }))
    : openFolderProvider(choice.dir);
}
