/**
 * Linking devices (link-frames.ts, docs/e2ee-design.md): both sides of handing the account's
 * identity from a device that has it to one signed in with the password alone.
 *
 * The new device, once connected, asks the server whether the account has an identity. If it has
 * one elsewhere, this device waits to be linked and shows a link code: its device number and the
 * public half of a key pair made for this wait (held in memory only: a hand-over sealed to a code
 * shown before a restart no longer opens, and the person links again). The hand-over arrives in its
 * inbox, opens with that key, and the keys it carries are written to the keys file; the connection
 * then starts over, so the device publishes its keys and opens what waited for them.
 *
 * The old device reads the code, asks the server which of the account's devices it names (for
 * "Link <device name>?"), and sends the account keys sealed to the code's key.
 */
import type { PrivateKey } from '@signalapp/libsignal-client';
import { AppApiError } from '../../app-api/contract.js';
import type { LinkState, LinkTarget, NewIdentityOutcome } from '../../app-api/linking-api.js';
import { errorFields, type Logger } from '../../common/logger.js';
import type { Runtime } from '../../common/runtime.js';
import type { DeviceEnvelope } from '../../protocol/inbox-frames.js';
import { RequestError, type SyncConnection } from '../connection.js';
import type { HistoryHandOver, HistoryRef } from '../history-transfer.js';
import type { AccountKeyring } from './account-keyring.js';
import type { AccountKeys } from './account-keys.js';
import { formatLinkCode, openHandOver, parseLinkCode, sealHandOver, type LinkCode } from './link-code.js';
import { loadSignal, type SignalLibrary } from './signal-library.js';

type Request = SyncConnection['request'];

export class DeviceLinking {
  private current: LinkState = { kind: 'unknown' };
  /** The key the link code shows, while this device waits to be linked. */
  private waitingKey: PrivateKey | null = null;
  private deviceNumber: number | null = null;
  /** The history handed over with the keys, kept (this run only) so a failed transfer can be tried again. */
  private historyRef: HistoryRef | null = null;

  constructor(
    private readonly keyring: AccountKeyring,
    private readonly runtime: Runtime,
    private readonly selfId: string,
    private readonly log: Logger,
    /** The state changed; `linked` when keys arrived or were made here (the connection should start over). */
    private readonly changed: (linked: boolean) => void,
    private readonly history: HistoryHandOver | null = null,
    private readonly load: () => Promise<SignalLibrary> = loadSignal,
  ) {}

  get state(): LinkState {
    return this.current;
  }

  /** The welcome said which device this is: decides whether it waits to be linked. */
  async connected(deviceNumber: number, request: Request): Promise<void> {
    this.deviceNumber = deviceNumber;
    // Linked already (in this run, the history's state with it), or since an earlier run.
    if (this.keyring.hasKeys(this.selfId)) return this.become(this.current.kind === 'linked' ? this.current : { kind: 'linked' });
    const reply = await request({ type: 'fetch_identity', userId: this.selfId });
    if (reply.type !== 'identity') throw new RequestError('internal', `Unexpected reply ${reply.type} to fetch_identity`);
    // Nobody has the account's identity (made before end-to-end encryption, or its keys failed at
    // sign-up): this device makes it, if it still holds the password it signed in with. A device
    // that signs up publishes its identity once its first catch-up, of nothing, is done.
    if (reply.identityKey === null && (await this.keyring.createFromHeldPassword(this.selfId))) {
      this.log.info('made the account identity on this device: the account had none');
      this.become({ kind: 'linked' });
      this.changed(true);
      return;
    }
    const signal = await this.load();
    this.waitingKey ??= signal.PrivateKey.generate();
    this.become({ kind: 'waiting', code: formatLinkCode(deviceNumber, this.waitingKey.getPublicKey().serialize()) });
  }

  /**
   * "Start with a new identity" while waiting: made here in place of the account's (see
   * AccountKeyring.createReplacingIdentity); the connection then starts over and publishes it.
   */
  async startNewIdentity(): Promise<NewIdentityOutcome> {
    if (this.current.kind !== 'waiting') throw new AppApiError('conflict', 'This device is not waiting to be linked.');
    const outcome = await this.keyring.createReplacingIdentity(this.selfId);
    if (outcome !== 'made') return outcome;
    this.waitingKey = null;
    this.log.warn('made a new identity in place of the account’s: its contacts will see its safety number change');
    this.become({ kind: 'linked' });
    this.changed(true);
    return outcome;
  }

  /**
   * A hand-over arrived in this device's inbox; true once it was dealt with (taken, or of no use
   * here: it never opens later either).
   */
  async handOverArrived(envelope: DeviceEnvelope): Promise<boolean> {
    const from = { senderUserId: envelope.senderUserId, senderDevice: envelope.senderDevice };
    if (envelope.senderUserId !== this.selfId || this.keyring.hasKeys(this.selfId)) {
      this.log.info('a link hand-over this device does not need was dropped', from);
      return true;
    }
    const key = this.waitingKey;
    if (!key || this.deviceNumber === null) {
      this.log.warn('a link hand-over for a code this device no longer shows was dropped', from);
      return true;
    }
    let history: HistoryRef | null;
    try {
      const handOver = openHandOver(key, envelope.ciphertext, this.selfId, this.deviceNumber);
      await this.keyring.adoptHandedOver(handOver.keys);
      history = handOver.history;
    } catch (error) {
      this.log.warn('a link hand-over did not open', { ...from, ...errorFields(error) });
      return true;
    }
    this.waitingKey = null;
    this.log.info('this device was linked', { ...from, history: history?.uploadId ?? null });
    this.historyRef = history;
    if (!history) this.log.warn('history could not be transferred: the linking device sent none', from);
    this.become(history ? { kind: 'linked', history: 'arriving' } : { kind: 'linked', history: 'failed' });
    this.changed(true);
    this.receiveHistory();
    return true;
  }

  /** "Try again" after the history did not arrive. */
  retryHistory(): void {
    if (this.current.kind !== 'linked' || this.current.history !== 'failed' || !this.historyRef) {
      throw new AppApiError('conflict', 'There is no history to try again.');
    }
    this.become({ kind: 'linked', history: 'arriving' });
    this.receiveHistory();
  }

  /** In the background: linking is done, whatever becomes of the history. */
  private receiveHistory(): void {
    const ref = this.historyRef;
    if (!ref || !this.history) return;
    this.history.receive(ref).then(
      () => {
        this.historyRef = null;
        this.become({ kind: 'linked', history: 'transferred' });
      },
      () => this.become({ kind: 'linked', history: 'failed' }),
    );
  }

  /** On a device with the identity: which of the account's devices the code names. */
  async describe(code: string, request: Request): Promise<LinkTarget> {
    const parsed = this.parse(code);
    const reply = await request({ type: 'describe_own_device', deviceNumber: parsed.deviceNumber }).catch(asAppError);
    if (reply.type !== 'own_device') throw new RequestError('internal', `Unexpected reply ${reply.type} to describe_own_device`);
    if (reply.linked) throw new AppApiError('refused', 'device_already_linked');
    return { deviceName: reply.deviceName };
  }

  /** On a device with the identity: hands it to the device the code names. */
  async handOver(code: string, request: Request): Promise<void> {
    const parsed = this.parse(code);
    const keys = await this.keyring.keysToHandOver(this.selfId);
    if (!keys) throw new AppApiError('conflict', 'This device has no identity to hand over.');
    const handOver = this.seal(await this.load(), parsed, keys, await this.historyFor(parsed.deviceNumber));
    const reply = await request({
      type: 'link_device',
      clientId: this.runtime.random.uuid(),
      deviceNumber: parsed.deviceNumber,
      handOver,
    }).catch(asAppError);
    if (reply.type !== 'device_link_sent') throw new RequestError('internal', `Unexpected reply ${reply.type} to link_device`);
    this.log.info('handed the account identity to a device being linked', { deviceNumber: parsed.deviceNumber });
  }

  /** The history to hand over with the keys; null when it could not be made or sent (linking goes on without it). */
  private async historyFor(newDevice: number): Promise<HistoryRef | null> {
    if (!this.history) return null;
    // This device's own sender-key chains never go, nor any record under the new device's address.
    const ownAddresses = [
      `${this.selfId}.${newDevice}`,
      ...(this.deviceNumber !== null ? [`${this.selfId}.${this.deviceNumber}`] : []),
    ];
    try {
      const ref = await this.history.send(ownAddresses);
      this.log.info('uploaded the history for a device being linked', {
        deviceNumber: newDevice,
        uploadId: ref.uploadId,
        size: ref.size,
      });
      return ref;
    } catch (error) {
      this.log.warn('the history for a device being linked could not be sent', {
        deviceNumber: newDevice,
        ...errorFields(error),
      });
      return null;
    }
  }

  private seal(signal: SignalLibrary, code: LinkCode, keys: AccountKeys, history: HistoryRef | null): string {
    try {
      return sealHandOver(signal, code, keys, history);
    } catch {
      // The code parsed, but its 33 bytes are not a public key.
      throw new AppApiError('invalid_argument', 'That is not a link code.');
    }
  }

  private parse(code: string): LinkCode {
    const parsed = parseLinkCode(code);
    if (!parsed) throw new AppApiError('invalid_argument', 'That is not a link code.');
    return parsed;
  }

  private become(state: LinkState): void {
    const before = this.current;
    this.current = state;
    if (JSON.stringify(before) !== JSON.stringify(state)) this.changed(false);
  }
}

/** A request that failed, as the person is told of it: offline, busy, or the server's refusal code. */
function asAppError(error: unknown): never {
  if (!(error instanceof RequestError)) throw error;
  if (error.code === 'disconnected' || error.code === 'timeout') throw new AppApiError('offline', 'Linking needs a connection.');
  if (error.code === 'rate_limited') throw new AppApiError('rate_limited', error.message);
  throw new AppApiError('refused', error.reason ?? error.code);
}
