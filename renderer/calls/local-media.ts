/**
 * This device's side of a call's media: the microphone, the camera and a shared screen, and what
 * of it is sent (CallSending). Muting keeps the microphone open with its track disabled, so
 * unmuting is instant; turning the camera off stops it (its light goes out) and turning it on asks
 * for it again. The peer connection (peer-connection.ts) is told which video track to send.
 *
 * The microphone and camera are the ones chosen in Settings → Calls (CallDevices), or the system's
 * default when none is chosen or the chosen one is gone. A new choice during a call reopens the
 * device in use and swaps its track, which the peer connection sends without renegotiating.
 */
import type { CallMedia } from '../../sync/common/call-machine.js';
import type { CallSending } from '../../sync/common/call-negotiation.js';
import { openChosenDevice, type DeviceConstraint, type OpenedDevice } from './chosen-device.js';
import type { CallDevices } from './media-engine.js';

type DeviceKind = 'audio' | 'video';
type OpenDevice = OpenedDevice<MediaStreamTrack>;

export class LocalMedia {
  #microphone: OpenDevice | null = null;
  #camera: OpenDevice | null = null;
  #screen: MediaStreamTrack | null = null;
  #devices: CallDevices;
  /** Device switches, one after the other, so two quick choices end on the last one. */
  #switching: Promise<void> = Promise.resolve();
  #muted = false;
  #closed = false;
  readonly #listeners = new Set<() => void>();

  constructor(devices: CallDevices) {
    this.#devices = devices;
  }

  /** Opens the microphone, and the camera for a video call; either may be missing or refused. */
  async open(media: CallMedia): Promise<void> {
    this.#microphone = await this.#open('audio', this.#devices.microphoneId);
    if (media === 'video') this.#camera = await this.#open('video', this.#devices.cameraId);
    this.#changed();
    // A choice made while they were opening applies now.
    void this.useDevices(this.#devices);
  }

  /** Takes a new choice of devices: an open microphone or camera moves to the newly chosen one. */
  useDevices(devices: CallDevices): Promise<void> {
    this.#devices = devices;
    this.#switching = this.#switching
      .then(async () => {
        await this.#switch('audio');
        await this.#switch('video');
      })
      // One failed switch leaves the device it had; the next choice still gets its turn.
      .catch((error: unknown) => console.error('call device not switched', error));
    return this.#switching;
  }

  get microphone(): MediaStreamTrack | null {
    return this.#microphone?.track ?? null;
  }

  /** What the video sender should carry: the shared screen over the camera. */
  get videoTrack(): MediaStreamTrack | null {
    return this.#screen ?? this.#camera?.track ?? null;
  }

  get sending(): CallSending {
    return {
      audio: this.#microphone !== null && !this.#muted,
      video: this.#camera !== null,
      screen: this.#screen !== null,
    };
  }

  get muted(): boolean {
    return this.#muted;
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    if (this.#microphone) this.#microphone.track.enabled = !muted;
    this.#changed();
  }

  async setCamera(on: boolean): Promise<void> {
    if (!on) {
      this.#camera?.track.stop();
      this.#camera = null;
    } else if (!this.#camera) {
      this.#camera = await this.#open('video', this.#devices.cameraId);
    }
    this.#changed();
  }

  /** Asks which screen or window to share; resolves false when the person cancelled the picker. */
  async shareScreen(): Promise<boolean> {
    if (this.#screen) return true;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch {
      return false;
    }
    const [track] = stream.getVideoTracks();
    if (!track || this.#closed) {
      stream.getTracks().forEach((each) => each.stop());
      return false;
    }
    // The browser's own "Stop sharing" ends the track: the camera comes back as with our button.
    track.addEventListener('ended', () => {
      if (this.#screen === track) this.stopSharing();
    });
    this.#screen = track;
    this.#changed();
    return true;
  }

  stopSharing(): void {
    this.#screen?.stop();
    this.#screen = null;
    this.#changed();
  }

  /** Called after every change of track or sending. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    for (const track of [this.#microphone?.track, this.#camera?.track, this.#screen]) track?.stop();
    this.#microphone = this.#camera = this.#screen = null;
    this.#listeners.clear();
  }

  /** Replaces the open device of `kind` when another one is chosen now; one closed meanwhile stays closed. */
  async #switch(kind: DeviceKind): Promise<void> {
    const wanted = kind === 'audio' ? this.#devices.microphoneId : this.#devices.cameraId;
    const before = kind === 'audio' ? this.#microphone : this.#camera;
    if (!before || before.asked === wanted || this.#closed) return;
    const after = await this.#open(kind, wanted);
    if (!after) return;
    const current = kind === 'audio' ? this.#microphone : this.#camera;
    if (current !== before) {
      after.track.stop();
      return;
    }
    before.track.stop();
    if (kind === 'audio') this.#microphone = after;
    else this.#camera = after;
    this.#changed();
  }

  /** The chosen device of `kind`, or the default when that one cannot be had; null when neither can. */
  #open(kind: DeviceKind, deviceId: string | null): Promise<OpenDevice | null> {
    return openChosenDevice((constraint) => this.#ask(kind, constraint), deviceId);
  }

  /** One track of `kind`; throws getUserMedia's error (no such device, permission refused). */
  async #ask(kind: DeviceKind, constraint: DeviceConstraint): Promise<MediaStreamTrack | null> {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraint });
    const tracks = stream.getTracks();
    const [track] = tracks;
    if (this.#closed || !track) {
      tracks.forEach((each) => each.stop());
      return null;
    }
    if (kind === 'audio' && this.#muted) track.enabled = false;
    return track;
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
