/** "Share screen" in the Electron host (main/electron/screen-share-picker.ts): asked only during a call, for the app's page. */
import { describe, expect, it } from 'vitest';
import { pickScreenShareSource, type CaptureSource } from '../../../main/electron/screen-share-picker.js';
import { isTrustedSenderUrl } from '../../../main/electron/trusted-sender.js';

const page = 'app://messenger/index.html';
const screens: CaptureSource[] = [
  { id: 'screen:0', name: 'Entire screen' },
  { id: 'window:7', name: 'Notes' },
];

function picker(options: { running: boolean; answer: number }) {
  const asked: Array<{ message: string; buttons: string[]; cancelId: number }> = [];
  const deps = {
    callRunning: () => options.running,
    isTrustedUrl: isTrustedSenderUrl,
    sources: async () => screens,
    ask: async (question: { message: string; buttons: string[]; cancelId: number }) => {
      asked.push(question);
      return options.answer;
    },
    strings: () => ({ shareScreen: 'Choose a screen or window to share', cancel: 'Cancel' }),
  };
  return { deps, asked };
}

describe('the screen share picker', () => {
  it('offers the screens and windows by name, with Cancel, and shares the one chosen', async () => {
    const { deps, asked } = picker({ running: true, answer: 1 });
    expect(await pickScreenShareSource(deps, page)).toEqual(screens[1]);
    expect(asked).toEqual([
      { message: 'Choose a screen or window to share', buttons: ['Entire screen', 'Notes', 'Cancel'], cancelId: 2 },
    ]);
  });

  it('shares nothing when cancelled, outside a call, or for another page, and asks nothing then', async () => {
    expect(await pickScreenShareSource(picker({ running: true, answer: 2 }).deps, page)).toBeNull();
    for (const [running, url] of [
      [false, page],
      [true, 'https://evil.example/'],
      [true, undefined],
    ] as const) {
      const { deps, asked } = picker({ running, answer: 0 });
      expect(await pickScreenShareSource(deps, url)).toBeNull();
      expect(asked).toEqual([]);
    }
  });
});
