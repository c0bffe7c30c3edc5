/**
 * "Share screen" in the Electron host: getDisplayMedia reaches the main process, which offers the
 * screens and windows desktopCapturer finds in a native dialog and hands the chosen one to the
 * page, only during a call and only for the app's own page. Written against the few calls it
 * makes, so it is tested without Electron.
 */
export interface CaptureSource {
  id: string;
  name: string;
}

export interface ScreenSharePickerDeps {
  callRunning(): boolean;
  isTrustedUrl(url: string | undefined): boolean;
  sources(): Promise<CaptureSource[]>;
  /** Asks which to share: the index of the button chosen. */
  ask(options: { message: string; buttons: string[]; cancelId: number }): Promise<number>;
  strings(): { shareScreen: string; cancel: string };
}

/** At most this many choices: a dialog's buttons, not a gallery. */
const MAX_CHOICES = 10;

/** The source to share, or null to refuse (no call, another page, nothing found, cancelled). */
export async function pickScreenShareSource<S extends CaptureSource>(
  deps: Omit<ScreenSharePickerDeps, 'sources'> & { sources(): Promise<S[]> },
  requestingUrl: string | undefined,
): Promise<S | null> {
  if (!deps.callRunning() || !deps.isTrustedUrl(requestingUrl)) return null;
  const sources = (await deps.sources()).slice(0, MAX_CHOICES);
  if (sources.length === 0) return null;
  const { shareScreen, cancel } = deps.strings();
  const chosen = await deps.ask({
    message: shareScreen,
    buttons: [...sources.map((s) => s.name), cancel],
    cancelId: sources.length,
  });
  return sources[chosen] ?? null;
}
