import { describe, expect, it } from 'vitest';
import { parseLaunchOptions } from '../../../main/electron/launch-options.js';
import { isCoreWorkerData } from '../../../main/node/core-worker-protocol.js';

describe('--allow-loopback-previews reaches the core worker', () => {
  it('is a boolean in the worker data', () => {
    const base = { profileDir: '/p', defaultServerUrl: 'ws://127.0.0.1:7878' };
    expect(isCoreWorkerData(base)).toBe(true);
    expect(isCoreWorkerData({ ...base, allowLoopbackPreviews: true })).toBe(true);
    expect(isCoreWorkerData({ ...base, allowLoopbackPreviews: 'yes' })).toBe(false);
  });

  it('is read from Electron’s command line, off unless given', () => {
    expect(parseLaunchOptions(['electron', '/repo'], '/').allowLoopbackPreviews).toBe(false);
    expect(parseLaunchOptions(['electron', '/repo', '--allow-loopback-previews'], '/').allowLoopbackPreviews).toBe(true);
  });
});
