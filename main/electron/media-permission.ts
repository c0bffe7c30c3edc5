/**
 * Which permission requests the Electron host grants: the microphone, for recording a voice
 * message, and only that (no camera, no screen, nothing else), and only to the app's own page.
 * Pure (no electron import) so the decision is tested on its own.
 */
import { APP_ORIGIN, isTrustedSenderUrl } from './trusted-sender.js';

/** The parts of Electron's permission request details this looks at. */
export interface PermissionRequestDetails {
  mediaTypes?: readonly string[];
  requestingUrl?: string;
}

/** The parts of Electron's permission check details this looks at. */
export interface PermissionCheckDetails {
  mediaType?: string;
  requestingUrl?: string;
}

/** A getUserMedia request for audio alone, from an app:// page. */
export function isMicrophoneRequestAllowed(permission: string, details: PermissionRequestDetails | undefined): boolean {
  const mediaTypes = details?.mediaTypes;
  return (
    permission === 'media' &&
    Array.isArray(mediaTypes) &&
    mediaTypes.length > 0 &&
    mediaTypes.every((type) => type === 'audio') &&
    isTrustedSenderUrl(details?.requestingUrl)
  );
}

/** Chromium asks this before (and besides) a request, e.g. for the microphone's device list. */
export function isMicrophoneCheckAllowed(
  permission: string,
  requestingOrigin: string | undefined,
  details: PermissionCheckDetails | undefined,
): boolean {
  return (
    permission === 'media' &&
    details?.mediaType === 'audio' &&
    requestingOrigin === APP_ORIGIN &&
    (details.requestingUrl === undefined || isTrustedSenderUrl(details.requestingUrl))
  );
}

/** Downloads the window may start: stored files under app://messenger/files/ (Save buttons). */
export function isAppFileDownload(url: string): boolean {
  return isTrustedSenderUrl(url) && new URL(url).pathname.startsWith('/files/');
}
