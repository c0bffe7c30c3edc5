/**
 * What Settings → Calls offers for each kind of device, from navigator.mediaDevices.enumerateDevices():
 * "System default" first, then each device by its name. Pure (no browser types), so it is tested alone.
 */

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';

/** The part of a MediaDeviceInfo this needs. */
export interface ListedDevice {
  readonly kind: string;
  readonly deviceId: string;
  readonly label: string;
}

/** One option of a device select: null is the system's default device. */
export interface DeviceOption {
  readonly id: string | null;
  readonly name: string;
}

export interface DeviceNames {
  systemDefault: string;
  /** The name of a device the browser does not name yet (before permission): "Microphone 2". */
  unnamed: (kind: DeviceKind, n: number) => string;
}

/**
 * Chromium lists the system's default again as "default" (and Windows' communications device as
 * "communications"): the first option already is the default, so only the devices themselves follow.
 */
const ALIASES = new Set(['default', 'communications']);

/**
 * "System default", then the devices of `kind` in the browser's order. A device without an id
 * (listed before permission, one of each kind) cannot be asked for by id, so it is left out; one
 * without a name is numbered among its kind.
 */
export function deviceOptions(devices: readonly ListedDevice[], kind: DeviceKind, names: DeviceNames): DeviceOption[] {
  const options: DeviceOption[] = [{ id: null, name: names.systemDefault }];
  const seen = new Set<string>();
  for (const device of devices) {
    if (device.kind !== kind || device.deviceId === '' || ALIASES.has(device.deviceId) || seen.has(device.deviceId)) continue;
    seen.add(device.deviceId);
    const label = device.label.trim();
    options.push({ id: device.deviceId, name: label === '' ? names.unnamed(kind, options.length) : label });
  }
  return options;
}

/** What the select shows as chosen: the chosen device while it is listed, else the default (it is gone). */
export function shownDevice(options: readonly DeviceOption[], chosen: string | null): string | null {
  return options.some((option) => option.id === chosen) ? chosen : null;
}
