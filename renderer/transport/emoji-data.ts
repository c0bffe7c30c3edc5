/**
 * Loads the bundled emoji dataset from the app's own origin (dist/renderer/emoji/en/, see
 * format/emoji-data.ts) for frimousse's `resolveEmojiData`: fetched once per page, kept in memory;
 * a failed load is forgotten so the next picker tries again.
 */
import type { EmojiData } from 'frimousse';
import { drawnByBundledFont, EMOJI_DATA_DIR, toEmojiData } from '../format/emoji-data.js';

let loading: Promise<EmojiData> | null = null;

async function fetchJson(name: string, fetchImpl: typeof fetch): Promise<unknown> {
  const response = await fetchImpl(new URL(`${EMOJI_DATA_DIR}/${name}`, document.baseURI).href, {
    credentials: 'same-origin',
  });
  if (!response.ok) throw new Error(`The emoji data could not be loaded (${response.status})`);
  return response.json();
}

export function loadBundledEmojiData(fetchImpl: typeof fetch = fetch): Promise<EmojiData> {
  loading ??= Promise.all([fetchJson('data.json', fetchImpl), fetchJson('messages.json', fetchImpl)])
    .then(([emojis, messages]) => drawnByBundledFont(toEmojiData(emojis, messages)))
    .catch((error: unknown) => {
      loading = null;
      throw error;
    });
  return loading;
}
