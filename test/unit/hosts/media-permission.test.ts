/** What the Electron host grants: the microphone alone, to the app's own page alone; and which downloads it lets start. */
import { describe, expect, it } from 'vitest';
import {
  isAppFileDownload,
  isMicrophoneCheckAllowed,
  isMicrophoneRequestAllowed,
} from '../../../main/electron/media-permission.js';

const page = 'app://messenger/index.html';

describe('isMicrophoneRequestAllowed', () => {
  it('grants audio-only media to the app page', () => {
    expect(isMicrophoneRequestAllowed('media', { mediaTypes: ['audio'], requestingUrl: page })).toBe(true);
  });

  it.each([
    ['camera', 'media', { mediaTypes: ['video'], requestingUrl: page }],
    ['camera and microphone', 'media', { mediaTypes: ['audio', 'video'], requestingUrl: page }],
    ['no media types (screen capture and others)', 'media', { mediaTypes: [], requestingUrl: page }],
    ['missing details', 'media', undefined],
    ['another page', 'media', { mediaTypes: ['audio'], requestingUrl: 'https://evil.example/' }],
    ['a look-alike host', 'media', { mediaTypes: ['audio'], requestingUrl: 'app://messenger.evil/index.html' }],
    ['notifications', 'notifications', { requestingUrl: page }],
    ['geolocation', 'geolocation', { requestingUrl: page }],
    ['clipboard', 'clipboard-read', { requestingUrl: page }],
  ] as const)('refuses %s', (_what, permission, details) => {
    expect(isMicrophoneRequestAllowed(permission, details)).toBe(false);
  });
});

describe('isMicrophoneCheckAllowed', () => {
  it('answers yes only for audio from the app origin', () => {
    expect(isMicrophoneCheckAllowed('media', 'app://messenger', { mediaType: 'audio', requestingUrl: page })).toBe(true);
    expect(isMicrophoneCheckAllowed('media', 'app://messenger', { mediaType: 'audio' })).toBe(true);
    expect(isMicrophoneCheckAllowed('media', 'app://messenger', { mediaType: 'video', requestingUrl: page })).toBe(false);
    expect(isMicrophoneCheckAllowed('media', 'https://evil.example', { mediaType: 'audio' })).toBe(false);
    expect(
      isMicrophoneCheckAllowed('media', 'app://messenger', { mediaType: 'audio', requestingUrl: 'https://x.example/' }),
    ).toBe(false);
    expect(isMicrophoneCheckAllowed('notifications', 'app://messenger', {})).toBe(false);
    expect(isMicrophoneCheckAllowed('media', undefined, undefined)).toBe(false);
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
