/**
 * Opening the microphone or camera chosen in Settings → Calls (renderer/calls/chosen-device.ts)
 * against a scripted getUserMedia: asked for exactly by id, the default standing in for one that is
 * gone, and nothing asked again when permission was refused.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isDeviceMissing, openChosenDevice, type DeviceConstraint } from '../../../renderer/calls/chosen-device.js';

/** getUserMedia's errors carry their kind in `name` (a DOMException, or Chromium's OverconstrainedError). */
const failure = (name: string) => Object.assign(new Error(name), { name });

/** Devices plugged in (the first is the default); `refuse` fails every ask with that error. */
function fakeAsk(plugged: string[], refuse?: string) {
  const asked: DeviceConstraint[] = [];
  const ask = async (constraint: DeviceConstraint): Promise<string | null> => {
    asked.push(constraint);
    if (refuse) throw failure(refuse);
    const device = constraint === true ? plugged[0] : constraint.deviceId.exact;
    if (device === undefined) throw failure('NotFoundError');
    if (!plugged.includes(device)) throw failure('OverconstrainedError');
    return device;
  };
  return { ask, asked };
}

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe('opening a call device', () => {
  it('asks for any device when none is chosen: the system default', async () => {
    const { ask, asked } = fakeAsk(['mic-a', 'mic-b']);
    expect(await openChosenDevice(ask, null)).toEqual({ track: 'mic-a', asked: null });
    expect(asked).toEqual([true]);
  });

  it('asks for exactly the chosen device', async () => {
    const { ask, asked } = fakeAsk(['mic-a', 'mic-b']);
    expect(await openChosenDevice(ask, 'mic-b')).toEqual({ track: 'mic-b', asked: 'mic-b' });
    expect(asked).toEqual([{ deviceId: { exact: 'mic-b' } }]);
  });

  it('falls back to the default when the chosen one is gone, still remembering which was asked for', async () => {
    const { ask, asked } = fakeAsk(['mic-a']);
    expect(await openChosenDevice(ask, 'mic-unplugged')).toEqual({ track: 'mic-a', asked: 'mic-unplugged' });
    expect(asked).toEqual([{ deviceId: { exact: 'mic-unplugged' } }, true]);
  });

  it('is nothing when there is no device at all, chosen or default', async () => {
    const { ask, asked } = fakeAsk([]);
    expect(await openChosenDevice(ask, 'cam-unplugged')).toBeNull();
    expect(asked).toEqual([{ deviceId: { exact: 'cam-unplugged' } }, true]);
  });

  it('does not ask for the default when permission was refused (it would be refused again)', async () => {
    const { ask, asked } = fakeAsk(['mic-a'], 'NotAllowedError');
    expect(await openChosenDevice(ask, 'mic-a')).toBeNull();
    expect(asked).toEqual([{ deviceId: { exact: 'mic-a' } }]);
  });

  it('is nothing when the page closed while asking (the asker gives null)', async () => {
    expect(await openChosenDevice(async () => null, 'mic-a')).toBeNull();
  });
});

describe('a device that cannot be had', () => {
  it('is one unplugged, no longer matching its id or held by another program', () => {
    for (const name of ['NotFoundError', 'OverconstrainedError', 'NotReadableError'])
      expect(isDeviceMissing(failure(name))).toBe(true);
  });

  it('is not a refused permission, a cancelled ask or something that is not an error', () => {
    for (const error of [failure('NotAllowedError'), failure('AbortError'), 'NotFoundError', null, undefined]) {
      expect(isDeviceMissing(error)).toBe(false);
    }
  });
});
