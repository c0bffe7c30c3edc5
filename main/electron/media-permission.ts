/**
 * Which permission requests the Electron host grants, and only to the app's own page: the
 * microphone alone at any time (recording a voice message); the camera and screen capture only
 * while a call the person started or accepted is running (not while one merely rings); the
 * position only while the page says it is asking for one ("Send your current location"). Nothing
 * else. Pure (no electron import) so the decision is tested on its own.
 */
import type { CallView } from '../../sync/app-api/calls-api.js';
import type { GroupCallView } from '../../sync/app-api/group-calls-api.js';
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

/** Whether the call on this device is one the person started or accepted and not over, or a group call it joined. */
export function isCallRunning(call: CallView | null, groupCall: GroupCallView | null): boolean {
  if (groupCall) return true;
  if (!call) return false;
  switch (call.phase) {
    case 'outgoing':
    case 'connecting':
    case 'connected':
    case 'reconnecting':
      return true;
    case 'ringing':
    case 'ended':
      return false;
  }
}

/** A getUserMedia or screen capture request from an app:// page: audio alone always, camera and screen during a call. */
export function isMediaRequestAllowed(
  permission: string,
  details: PermissionRequestDetails | undefined,
  callRunning: boolean,
): boolean {
  if (!isTrustedSenderUrl(details?.requestingUrl)) return false;
  if (permission === 'display-capture') return callRunning;
  if (permission !== 'media') return false;
  const mediaTypes = details?.mediaTypes;
  if (!Array.isArray(mediaTypes) || mediaTypes.length === 0) return false;
  if (mediaTypes.every((type) => type === 'audio')) return true;
  return callRunning && mediaTypes.every((type) => type === 'audio' || type === 'video');
}

/** Chromium asks this before (and besides) a request, e.g. for the devices' list. */
export function isMediaCheckAllowed(
  permission: string,
  requestingOrigin: string | undefined,
  details: PermissionCheckDetails | undefined,
  callRunning: boolean,
): boolean {
  if (requestingOrigin !== APP_ORIGIN) return false;
  if (details?.requestingUrl !== undefined && !isTrustedSenderUrl(details.requestingUrl)) return false;
  if (permission !== 'media') return false;
  return details?.mediaType === 'audio' || (callRunning && details?.mediaType === 'video');
}

/** A geolocation request: granted to an app:// page only while it says it is asking (preload's askingLocation). */
export function isLocationRequestAllowed(
  permission: string,
  details: PermissionRequestDetails | undefined,
  asking: boolean,
): boolean {
  return permission === 'geolocation' && asking && isTrustedSenderUrl(details?.requestingUrl);
}

/** Chromium's check before a geolocation request: the app's origin, while it is asking. */
export function isLocationCheckAllowed(permission: string, requestingOrigin: string | undefined, asking: boolean): boolean {
  return permission === 'geolocation' && asking && requestingOrigin === APP_ORIGIN;
}

/** Downloads the window may start: stored files under app://messenger/files/ (Save buttons). */
export function isAppFileDownload(url: string): boolean {
  return isTrustedSenderUrl(url) && new URL(url).pathname.startsWith('/files/');
}
