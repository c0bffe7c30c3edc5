/**
 * What the Electron host grants, to the app's own page alone: the microphone at any time (voice
 * messages), the camera and screen capture only while a call the person started or accepted runs;
 * and which downloads it lets start.
 */
import { describe, expect, it } from 'vitest';
import type { CallView } from '../../../sync/app-api/calls-api.js';
import {
  isAppFileDownload,
  isCallRunning,
  isMediaCheckAllowed,
  isMediaRequestAllowed,
  isLocationCheckAllowed,
  isLocationRequestAllowed,
} from '../../../main/electron/media-permission.js';

const page = 'app://messenger/index.html';

describe('isMediaRequestAllowed', () => {
  it('grants audio-only media to the app page, call or no call', () => {
    expect(isMediaRequestAllowed('media', { mediaTypes: ['audio'], requestingUrl: page }, false)).toBe(true);
    expect(isMediaRequestAllowed('media', { mediaTypes: ['audio'], requestingUrl: page }, true)).toBe(true);
  });

  it('grants the camera and screen capture to the app page only while a call runs', () => {
    for (const details of [
      { mediaTypes: ['video'], requestingUrl: page },
      { mediaTypes: ['audio', 'video'], requestingUrl: page },
    ]) {
      expect(isMediaRequestAllowed('media', details, false)).toBe(false);
      expect(isMediaRequestAllowed('media', details, true)).toBe(true);
    }
    expect(isMediaRequestAllowed('display-capture', { requestingUrl: page }, false)).toBe(false);
    expect(isMediaRequestAllowed('display-capture', { requestingUrl: page }, true)).toBe(true);
  });

  it.each([
    ['no media types', 'media', { mediaTypes: [], requestingUrl: page }],
    ['missing details', 'media', undefined],
    ['another page', 'media', { mediaTypes: ['audio', 'video'], requestingUrl: 'https://evil.example/' }],
    ['another page’s screen capture', 'display-capture', { requestingUrl: 'https://evil.example/' }],
    ['a look-alike host', 'media', { mediaTypes: ['audio'], requestingUrl: 'app://messenger.evil/index.html' }],
    ['notifications', 'notifications', { requestingUrl: page }],
    ['geolocation', 'geolocation', { requestingUrl: page }],
    ['clipboard', 'clipboard-read', { requestingUrl: page }],
  ] as const)('refuses %s, even during a call', (_what, permission, details) => {
    expect(isMediaRequestAllowed(permission, details, true)).toBe(false);
  });
});

describe('isLocationRequestAllowed', () => {
  it('grants the position to the app page only while it says it is asking', () => {
    expect(isLocationRequestAllowed('geolocation', { requestingUrl: page }, true)).toBe(true);
    expect(isLocationRequestAllowed('geolocation', { requestingUrl: page }, false)).toBe(false);
    expect(isLocationRequestAllowed('geolocation', { requestingUrl: 'https://evil.example/' }, true)).toBe(false);
    expect(isLocationRequestAllowed('geolocation', undefined, true)).toBe(false);
    expect(isLocationRequestAllowed('media', { mediaTypes: ['video'], requestingUrl: page }, true)).toBe(false);
    expect(isLocationCheckAllowed('geolocation', 'app://messenger', true)).toBe(true);
    expect(isLocationCheckAllowed('geolocation', 'app://messenger', false)).toBe(false);
    expect(isLocationCheckAllowed('geolocation', 'https://evil.example', true)).toBe(false);
    expect(isLocationCheckAllowed('notifications', 'app://messenger', true)).toBe(false);
  });
});

describe('isMediaCheckAllowed', () => {
  it('answers yes for audio from the app origin, and for video only during a call', () => {
    expect(isMediaCheckAllowed('media', 'app://messenger', { mediaType: 'audio', requestingUrl: page }, false)).toBe(true);
    expect(isMediaCheckAllowed('media', 'app://messenger', { mediaType: 'audio' }, false)).toBe(true);
    expect(isMediaCheckAllowed('media', 'app://messenger', { mediaType: 'video', requestingUrl: page }, false)).toBe(false);
    expect(isMediaCheckAllowed('media', 'app://messenger', { mediaType: 'video', requestingUrl: page }, true)).toBe(true);
    expect(isMediaCheckAllowed('media', 'https://evil.example', { mediaType: 'audio' }, true)).toBe(false);
    expect(
      isMediaCheckAllowed('media', 'app://messenger', { mediaType: 'video', requestingUrl: 'https://x.example/' }, true),
    ).toBe(false);
    expect(isMediaCheckAllowed('notifications', 'app://messenger', {}, true)).toBe(false);
    expect(isMediaCheckAllowed('media', undefined, undefined, true)).toBe(false);
  });
});

describe('isCallRunning', () => {
  const call = (phase: CallView['phase']): CallView => ({
    callId: 'a'.repeat(32),
    conversationId: 'c1',
    peer: { id: 'u1', username: 'bob', displayName: 'Bob' },
    media: 'video',
    direction: 'incoming',
    phase,
    negotiates: null,
    connectedAt: null,
    ended: null,
    peerSending: { audio: true, video: true, screen: false },
  });

  it('counts a call started or accepted here, not one that only rings or is over', () => {
    expect(isCallRunning(null, null)).toBe(false);
    expect(
      ['outgoing', 'connecting', 'connected', 'reconnecting'].map((phase) =>
        isCallRunning(call(phase as CallView['phase']), null),
      ),
    ).toEqual([true, true, true, true]);
    expect(isCallRunning(call('ringing'), null)).toBe(false);
    expect(isCallRunning(call('ended'), null)).toBe(false);
  });

  it('counts a group call joined here, alone in it or not', () => {
    const joined = { callId: 'b'.repeat(32), conversationId: 'g1', media: 'audio' as const, joinedAt: 1, participants: [] };
    expect(isCallRunning(null, joined)).toBe(true);
    expect(isCallRunning(call('ended'), joined)).toBe(true);
  });
});

describe('isAppFileDownload', () => {
  it('lets only stored files of the app start a download', () => {
    expect(isAppFileDownload(`app://messenger/files/${'a'.repeat(64)}?save=report.pdf`)).toBe(true);
    expect(isAppFileDownload('app://messenger/index.html')).toBe(false);
    expect(isAppFileDownload('https://evil.example/files/x')).toBe(false);
    expect(isAppFileDownload('app://other/files/x')).toBe(false);
  });
});
