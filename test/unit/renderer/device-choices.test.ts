/** What Settings → Calls offers for each kind of device (renderer/calls/device-choices.ts). */
import { describe, expect, it } from 'vitest';
import { deviceOptions, shownDevice, type DeviceKind, type ListedDevice } from '../../../renderer/calls/device-choices.js';

const names = {
  systemDefault: 'System default',
  unnamed: (kind: DeviceKind, n: number) => `${kind} ${n}`,
};

function device(kind: DeviceKind, deviceId: string, label = ''): ListedDevice {
  return { kind, deviceId, label };
}

/** What Chromium's fake devices list once permission was granted. */
const chromiumFakes = [
  device('audioinput', 'default', 'Fake Default Audio Input'),
  device('audioinput', 'fake-mic-1', 'Fake Audio Input 1'),
  device('audioinput', 'fake-mic-2', 'Fake Audio Input 2'),
  device('videoinput', 'fake-cam-1', 'fake_device_0'),
  device('audiooutput', 'default', 'Fake Default Audio Output'),
  device('audiooutput', 'fake-out-1', 'Fake Audio Output 1'),
];

describe('the device options', () => {
  it('are "System default", then the devices of that kind by name, without the default listed again', () => {
    expect(deviceOptions(chromiumFakes, 'audioinput', names)).toEqual([
      { id: null, name: 'System default' },
      { id: 'fake-mic-1', name: 'Fake Audio Input 1' },
      { id: 'fake-mic-2', name: 'Fake Audio Input 2' },
    ]);
    expect(deviceOptions(chromiumFakes, 'videoinput', names)).toEqual([
      { id: null, name: 'System default' },
      { id: 'fake-cam-1', name: 'fake_device_0' },
    ]);
    expect(deviceOptions(chromiumFakes, 'audiooutput', names)).toEqual([
      { id: null, name: 'System default' },
      { id: 'fake-out-1', name: 'Fake Audio Output 1' },
    ]);
  });

  it('number the devices the system does not name yet among their kind', () => {
    const unnamed = [
      device('videoinput', 'cam-a'),
      device('audioinput', 'mic-a', '  '),
      device('videoinput', 'cam-b', 'Desk camera'),
      device('videoinput', 'cam-c'),
    ];
    expect(deviceOptions(unnamed, 'videoinput', names)).toEqual([
      { id: null, name: 'System default' },
      { id: 'cam-a', name: 'videoinput 1' },
      { id: 'cam-b', name: 'Desk camera' },
      { id: 'cam-c', name: 'videoinput 3' },
    ]);
    expect(deviceOptions(unnamed, 'audioinput', names)[1]).toEqual({ id: 'mic-a', name: 'audioinput 1' });
  });

  it('leave out devices without an id (listed before permission: they cannot be asked for), and repeats', () => {
    const beforePermission = [
      device('audioinput', ''),
      device('videoinput', ''),
      device('audioinput', 'mic'),
      device('audioinput', 'mic'),
    ];
    expect(deviceOptions(beforePermission, 'videoinput', names)).toEqual([{ id: null, name: 'System default' }]);
    expect(deviceOptions(beforePermission, 'audioinput', names)).toEqual([
      { id: null, name: 'System default' },
      { id: 'mic', name: 'audioinput 1' },
    ]);
  });

  it('are only "System default" when there is no device at all', () => {
    expect(deviceOptions([], 'audiooutput', names)).toEqual([{ id: null, name: 'System default' }]);
  });
});

describe('the device shown as chosen', () => {
  const options = deviceOptions(chromiumFakes, 'audioinput', names);

  it('is the chosen one while it is listed', () => {
    expect(shownDevice(options, 'fake-mic-2')).toBe('fake-mic-2');
  });

  it('is the default when the chosen one is gone, or none was chosen', () => {
    expect(shownDevice(options, 'unplugged-mic')).toBeNull();
    expect(shownDevice(options, null)).toBeNull();
  });
});
