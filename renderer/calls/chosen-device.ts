/**
 * Opening the microphone or camera chosen in Settings → Calls: asked for by its id, and the
 * system's default instead when that one cannot be had. Without the browser's types (the asking is
 * handed in), so it is tested alone; local-media.ts asks getUserMedia.
 */

/** getUserMedia's constraint for one kind: any device (the default), or exactly the chosen one. */
export type DeviceConstraint = true | { deviceId: { exact: string } };

/** A track and the device it was asked for (null: the default), to know when a new choice needs another. */
export interface OpenedDevice<Track> {
  track: Track;
  asked: string | null;
}

/**
 * getUserMedia's errors for a chosen device that cannot be had: unplugged (NotFoundError), no
 * longer matching its id (OverconstrainedError), or held by another program (NotReadableError).
 * The default device may still work; a refused permission (NotAllowedError) would be refused again.
 */
const DEVICE_MISSING = new Set(['NotFoundError', 'OverconstrainedError', 'NotReadableError']);

export function isDeviceMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && DEVICE_MISSING.has(String((error as { name?: unknown }).name));
}

/**
 * Asks for `deviceId` (null: the default), and for the default when that device is missing. Null
 * when neither can be had (refused, none at all): the call goes on without it.
 */
export async function openChosenDevice<Track>(
  ask: (constraint: DeviceConstraint) => Promise<Track | null>,
  deviceId: string | null,
): Promise<OpenedDevice<Track> | null> {
  try {
    const track = await ask(deviceId === null ? true : { deviceId: { exact: deviceId } });
    return track === null ? null : { track, asked: deviceId };
  } catch (error) {
    if (deviceId !== null && isDeviceMissing(error)) {
      console.warn('chosen call device unavailable; using the default', error);
      const fallback = await openChosenDevice(ask, null);
      // Kept as asked for the chosen one, so a change of some other preference does not try it again each time.
      return fallback && { track: fallback.track, asked: deviceId };
    }
    console.warn('call media unavailable', error);
    return null;
  }
}
