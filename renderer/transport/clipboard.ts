/**
 * "Copy": inside Electron the preload's `copyText` (the main process writes the clipboard, which a
 * sandboxed page cannot reach itself); in a browser page of the browser host, navigator.clipboard.
 * True when the text is on the clipboard.
 */

/** What of the page Copy uses (the window; a stand-in in tests). */
export interface ClipboardPage {
  messenger?: { copyText?: (text: string) => Promise<boolean> };
  navigator?: { clipboard?: { writeText(text: string): Promise<void> } };
}

export async function copyText(text: string, page: ClipboardPage): Promise<boolean> {
  const preload = page.messenger;
  if (preload && typeof preload.copyText === 'function') return preload.copyText(text);
  try {
    const clipboard = page.navigator?.clipboard;
    if (!clipboard) return false;
    await clipboard.writeText(text);
    return true;
  } catch {
    // A denied permission: the person copies by hand.
    return false;
  }
}
