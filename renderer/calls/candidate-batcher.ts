/**
 * Collects the ICE candidates a peer connection gathers close together into one signal each, so a
 * burst of a dozen candidates costs one encrypted message, not a dozen. A batch goes out when it is
 * full, when the gathering pauses for `delayMs`, or at once when gathering ends.
 */
import { CALL_NEGOTIATION_LIMITS, type CallIceCandidate } from '../../sync/common/call-negotiation.js';

export interface BatchTimers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: BatchTimers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class CandidateBatcher {
  readonly #send: (candidates: CallIceCandidate[]) => void;
  readonly #delayMs: number;
  readonly #timers: BatchTimers;
  readonly #max: number;
  #pending: CallIceCandidate[] = [];
  #timer: unknown = null;

  constructor(
    send: (candidates: CallIceCandidate[]) => void,
    { delayMs = 40, timers = realTimers, max = CALL_NEGOTIATION_LIMITS.maxCandidatesPerSignal } = {},
  ) {
    this.#send = send;
    this.#delayMs = delayMs;
    this.#timers = timers;
    this.#max = max;
  }

  add(candidate: CallIceCandidate): void {
    this.#pending.push(candidate);
    if (this.#pending.length >= this.#max) {
      this.flush();
      return;
    }
    if (this.#timer === null) this.#timer = this.#timers.set(() => this.flush(), this.#delayMs);
  }

  /** Sends whatever waits (gathering ended, or the batch is full). */
  flush(): void {
    if (this.#timer !== null) {
      this.#timers.clear(this.#timer);
      this.#timer = null;
    }
    while (this.#pending.length > 0) this.#send(this.#pending.splice(0, this.#max));
  }

  /** Drops whatever waits: the call is over. */
  cancel(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    this.#pending = [];
  }
}
