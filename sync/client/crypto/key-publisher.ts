/**
 * Keeps this device's public keys in the server's key directory (protocol/key-frames.ts), so
 * others can start sessions with it while it is offline. On each connection it asks how many
 * one-time prekeys the directory still holds for it and publishes what is missing: everything the
 * first time, refills after that, a new signed prekey and last-resort Kyber key once a week. A
 * prekeys_low push (someone fetched our bundle) runs it again. The private halves are kept in the
 * mirror before the public ones leave, so a publish whose reply was lost is simply sent again
 * (the directory skips ids it has). A device without the account's identity (a new device before
 * it is linked) publishes nothing.
 */
import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import type { Runtime } from '../../common/runtime.js';
import type { Logger } from '../../common/logger.js';
import { KEY_LIMITS } from '../../protocol/key-frames.js';
import { RequestError, type SyncConnection } from '../connection.js';
import type { Mirror } from '../mirror/mirror.js';
import { RetryLoop } from '../retry-loop.js';
import { makePreKeys, newRegistrationId, type PreKeyBatch } from './prekeys.js';
import type { SignalLibrary } from './signal-library.js';

/** One-time prekeys of each kind the directory should hold for this device. */
export const PREKEY_TARGET = { ec: 100, kyber: 40 } as const;
/** Publishes per cycle at most: a directory that keeps answering "too few" cannot keep us in a loop. */
const MAX_PUBLISHES_PER_CYCLE = 4;
/** How long a signed prekey and a last-resort Kyber key serve before new ones are published. */
export const SIGNED_PREKEY_ROTATION_MS = 7 * 24 * 60 * 60 * 1000;

export interface LocalIdentity {
  signal: SignalLibrary;
  identity: IdentityKeyPair;
  /** Made here in place of an identity the person could not get back: publishing it replaces the account's. */
  replacesIdentity?: boolean;
}

interface Counts {
  published: boolean;
  ecPrekeys: number;
  kyberPrekeys: number;
}

export class KeyPublisher {
  private deviceNumber: number | null = null;
  private stopped = false;
  private readonly loop: RetryLoop;

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    /** The account's identity on this device, or null while it has none (not linked yet). */
    private readonly localIdentity: () => Promise<LocalIdentity | null>,
    private readonly log: Logger,
  ) {
    this.loop = new RetryLoop(runtime, {
      active: () => this.deviceNumber !== null && !this.stopped,
      work: async () => {
        const local = await this.localIdentity();
        if (local) await this.publishMissing(local);
      },
      retry: (error) => {
        if (!(error instanceof RequestError) || !error.permanent) return true;
        this.log.warn('the key directory refused our keys', { code: error.code, reason: error.reason });
        return false;
      },
    });
  }

  /** A new connection is up; the welcome said which device we are. */
  connected(deviceNumber: number): void {
    if (this.stopped) return;
    this.deviceNumber = deviceNumber;
    this.loop.reset();
    this.loop.run();
  }

  disconnected(): void {
    this.deviceNumber = null;
    this.loop.cancel();
  }

  stop(): void {
    this.stopped = true;
    this.disconnected();
  }

  /** The directory says a device of ours runs low; only this device's own keys are ours to refill. */
  prekeysLow(deviceNumber: number): void {
    if (deviceNumber === this.deviceNumber && !this.loop.waitingToRetry) this.loop.run();
  }

  private async publishMissing({ signal, identity, replacesIdentity }: LocalIdentity): Promise<void> {
    let counts = await this.counts({ type: 'count_keys' });
    for (let publishes = 0; publishes < MAX_PUBLISHES_PER_CYCLE; publishes++) {
      const batch = this.batchFor(counts);
      if (!batch) return;
      const now = this.runtime.clock.now();
      const tables = this.mirror.signal;
      const published = this.mirror.transaction(() => {
        const registrationId = tables.ensureRegistrationId(newRegistrationId(() => this.runtime.random.next()));
        return makePreKeys(signal, tables, identity, registrationId, batch, now);
      });
      counts = await this.counts({
        type: 'publish_keys',
        identityKey: published.identityKey,
        registrationId: published.registrationId,
        ...(replacesIdentity ? { replaceIdentity: true } : {}),
        ...(published.signedPreKey ? { signedPrekey: published.signedPreKey } : {}),
        ...(published.kyberLastResort ? { kyberLastResortPrekey: published.kyberLastResort } : {}),
        ...(published.oneTimePreKeys.length > 0 ? { ecPrekeys: published.oneTimePreKeys } : {}),
        ...(published.kyberPreKeys.length > 0 ? { kyberPrekeys: published.kyberPreKeys } : {}),
      });
    }
  }

  /** What to make and publish next, or null when the directory holds enough. */
  private batchFor(counts: Counts): PreKeyBatch | null {
    const newest = this.mirror.signal.newestSignedPrekeyAt();
    const rotate = !counts.published || newest === null || this.runtime.clock.now() - newest >= SIGNED_PREKEY_ROTATION_MS;
    const oneTime = Math.min(KEY_LIMITS.maxEcPrekeysPerPublish, Math.max(0, PREKEY_TARGET.ec - counts.ecPrekeys));
    const kyber = Math.min(KEY_LIMITS.maxKyberPrekeysPerPublish, Math.max(0, PREKEY_TARGET.kyber - counts.kyberPrekeys));
    return rotate || oneTime > 0 || kyber > 0 ? { rotate, oneTime, kyber } : null;
  }

  private async counts(request: Parameters<SyncConnection['request']>[0]): Promise<Counts> {
    const reply = await this.connection.request(request);
    if (reply.type !== 'key_counts') throw new RequestError('internal', `Unexpected reply ${reply.type} to ${request.type}`);
    return reply;
  }
}
