import { describe, expect, it } from 'vitest';
import { copyText, type ClipboardPage } from '../../../renderer/transport/clipboard.js';

/** A page as copyText sees it: the preload's messenger object (Electron) or the browser's clipboard. */
function page(parts: {
  preloadCopy?: (text: string) => Promise<boolean>;
  writeText?: (text: string) => Promise<void>;
}): ClipboardPage {
  return {
    ...(parts.preloadCopy ? { messenger: { copyText: parts.preloadCopy } } : {}),
    navigator: { clipboard: { writeText: parts.writeText ?? (() => Promise.reject(new Error('no clipboard here'))) } },
  };
}

describe('Copy', () => {
  it('goes through the preload inside Electron, never the page’s own clipboard', async () => {
    const copied: string[] = [];
    const preloadCopy = (text: string) => {
      copied.push(text);
      return Promise.resolve(true);
    };
    const writeText = () => Promise.reject(new Error('the page must not be asked'));
    expect(await copyText('abcd efgh', page({ preloadCopy, writeText }))).toBe(true);
    expect(copied).toEqual(['abcd efgh']);
  });

  it('uses navigator.clipboard in a browser page, and says so when it is refused', async () => {
    const copied: string[] = [];
    const writeText = (text: string) => {
      copied.push(text);
      return Promise.resolve();
    };
    expect(await copyText('abcd efgh', page({ writeText }))).toBe(true);
    expect(copied).toEqual(['abcd efgh']);
    expect(await copyText('abcd efgh', page({}))).toBe(false);
  });
});
