/**
 * "Copy": inside Electron the preload's `copyText` (the main process writes the clipboard, which a
 * sandboxed page cannot reach itself); in a browser page of the browser host, navigator.clipboard.
 * True when the text is on the clipboard.
 */
export async function copyText(text: string, win: Window = window): Promise<boolean> {
  const preload = win.messenger;
  if (preload && typeof preload.copyText === 'function') return preload.copyText(text);
  try {
    await win.navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard (an insecure page, a denied permission): the person copies by hand.
    return false;
  }
}
