/**
 * This device's side of a call's media: the microphone, the camera and a shared screen, and what
 * of it is sent (CallSending). Muting keeps the microphone open with its track disabled, so
 * unmuting is instant; turning the camera off stops it (its light goes out) and turning it on asks
 * for it again. The peer connection (peer-connection.ts) is told which video track to send.
 */
import type { CallMedia } from '../../sync/common/call-machine.js';
import type { CallSending } from '../../sync/common/call-negotiation.js';

export class LocalMedia {
  #microphone: MediaStreamTrack | null = null;
  #camera: MediaStreamTrack | null = null;
  #screen: MediaStreamTrack | null = null;
  #muted = false;
  #closed = false;
  readonly #listeners = new Set<() => void>();

  /** Opens the microphone, and the camera for a video call; either may be missing or refused. */
  async open(media: CallMedia): Promise<void> {
    const [microphone] = await this.#ask({ audio: true });
    this.#microphone = microphone ?? null;
    if (media === 'video') this.#camera = (await this.#ask({ video: true }))[0] ?? null;
    this.#changed();
  }

  get microphone(): MediaStreamTrack | null {
    return this.#microphone;
  }

  /** What the video sender should carry: the shared screen over the camera. */
  get videoTrack(): MediaStreamTrack | null {
    return this.#screen ?? this.#camera;
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
    if (this.#microphone) this.#microphone.enabled = !muted;
    this.#changed();
  }

  async setCamera(on: boolean): Promise<void> {
    if (!on) {
      this.#camera?.stop();
      this.#camera = null;
    } else if (!this.#camera) {
      this.#camera = (await this.#ask({ video: true }))[0] ?? null;
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
    for (const track of [this.#microphone, this.#camera, this.#screen]) track?.stop();
    this.#microphone = this.#camera = this.#screen = null;
    this.#listeners.clear();
  }

  async #ask(constraints: MediaStreamConstraints): Promise<MediaStreamTrack[]> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      // No such device, or permission refused: the call goes on without it (the other side sees it off).
      console.warn('call media unavailable', constraints, error);
      return [];
    }
    const tracks = stream.getTracks();
    if (this.#closed) {
      tracks.forEach((track) => track.stop());
      return [];
    }
    if (constraints.audio && this.#muted) tracks.forEach((track) => (track.enabled = false));
    return tracks;
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
