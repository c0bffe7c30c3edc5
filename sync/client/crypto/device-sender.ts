/**
 * Sends device messages (content/device-messages.ts) through the device inbox: each encrypted by
 * the pairwise session with every device of the people it goes to (the account's own other devices
 * included when the account is one of them), started from their key bundles where there is none.
 *
 * A send is written to the mirror first (signal_outgoing), and its encryption with the ratchet
 * state that made it, in one transaction; it is deleted only when the server has it. So a send
 * made offline goes out on the next connection, one whose answer was lost goes again under the
 * same client id (the server stores it once), and no message key is ever used twice. When the
 * server says someone's devices are not the ones addressed, the sessions are put right and the
 * content is encrypted again for the devices that were missed.
 */
import type { ProtocolAddress } from '@signalapp/libsignal-client';
import type { Logger } from '../../common/logger.js';
import { errorFields } from '../../common/logger.js';
import { timeOrderedId } from '../../common/ids.js';
import type { Runtime } from '../../common/runtime.js';
import type { DeviceMismatch, EnvelopeKind, OutgoingEnvelope } from '../../protocol/inbox-frames.js';
import type { KeyBundle } from '../../protocol/key-frames.js';
import { encodeDeviceMessage, type DeviceMessage, type OneDeviceMessage } from '../../content/device-messages.js';
import { RequestError, type SyncConnection } from '../connection.js';
import type { Mirror } from '../mirror/mirror.js';
import type { OutgoingRow } from '../mirror/signal-tables.js';
import { RetryLoop } from '../retry-loop.js';
import { framesOf } from './device-send-frames.js';
import { toPreKeyBundle } from './prekeys.js';
import type { RatchetState } from './ratchet-state.js';
import type { CryptoLane, ThisDevice } from './this-device.js';

/** Rounds of "devices changed" one send goes through before it waits for the next connection. */
const MAX_CORRECTIONS = 3;
/**
 * How long a person found to have no device to write to (the account itself, with no other
 * device) is taken at that: fetching bundles is rate-limited per person, and a send to them
 * without a device names nobody the server could correct.
 */
const NO_DEVICES_FOR_MS = 60 * 60 * 1000;
/** People encrypted for in one unit of ratchet work, when a send goes to many (see deliver). */
const PEOPLE_PER_SLICE = 25;

/**
 * A promise awaited later, after other awaits: marked handled now, so that failing meanwhile is
 * not an unhandled rejection (which ends the process); it still rejects where it is awaited.
 */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Whether encrypted frames are stored to send until the server has them, or sent once and forgotten (ephemeral). */
interface Storing {
  persist: boolean;
}

/** A person's key bundles, as fetch_key_bundles answers. */
type Bundles = { identityKey: string; bundles: KeyBundle[] };

export class DeviceSender {
  private deviceNumber: number | null = null;
  private readonly loop: RetryLoop;
  /** userId → until when they are taken to have no device to write to. */
  private readonly noDevicesUntil = new Map<string, number>();
  /** By conversation: envelopes waiting for this device's sender key hand-outs there to reach the server. */
  private readonly handOutWaiters = new Map<string, Array<{ resolve: () => void; reject: (error: unknown) => void }>>();

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly lane: CryptoLane,
    /** This device as its sessions know it, under the device number the server gave it (heldDevice). */
    private readonly deviceAs: (deviceNumber: number) => Promise<ThisDevice | null>,
    private readonly selfId: string,
    private readonly log: Logger,
  ) {
    this.loop = new RetryLoop(runtime, {
      active: () => this.deviceNumber !== null,
      work: () => this.sendWaiting(),
      retry: (error) => {
        this.log.warn('sending to devices failed; trying again later', errorFields(error));
        return true;
      },
    });
  }

  /** A new connection is up; the welcome said which device we are. Sends waiting go out. */
  connected(deviceNumber: number): void {
    this.deviceNumber = deviceNumber;
    this.loop.reset();
    this.loop.run();
  }

  disconnected(): void {
    this.deviceNumber = null;
    this.loop.cancel();
    const waiting = [...this.handOutWaiters.values()].flat();
    this.handOutWaiters.clear();
    for (const { reject } of waiting) reject(new RequestError('disconnected', 'Not connected'));
  }

  /**
   * Resolves once no hand-out of this device's sender key for the conversation is still to reach
   * the server, so that no member holds an envelope sealed under a key that is still here; rejects
   * when the connection goes first.
   */
  keyHandedOut(conversationId: string): Promise<void> {
    if (!this.mirror.signal.handOutPending(conversationId)) return Promise.resolve();
    if (this.deviceNumber === null) return Promise.reject(new RequestError('disconnected', 'Not connected'));
    return new Promise((resolve, reject) => {
      const waiting = this.handOutWaiters.get(conversationId);
      if (waiting) waiting.push({ resolve, reject });
      else this.handOutWaiters.set(conversationId, [{ resolve, reject }]);
    });
  }

  /** Lets go what waited for conversations whose hand-outs have all reached the server (or were dropped). */
  private handOutsDone(): void {
    for (const [conversationId, waiting] of this.handOutWaiters) {
      if (this.mirror.signal.handOutPending(conversationId)) continue;
      this.handOutWaiters.delete(conversationId);
      for (const { resolve } of waiting) resolve();
    }
  }

  /**
   * Queues `message` for every device of `userIds` (the account's own others when it is named),
   * and sends it when connected. Once this returns it is stored here, the sender's to deliver.
   */
  queue(userIds: readonly string[], message: DeviceMessage): void {
    this.mirror.signal.putOutgoing({
      clientId: timeOrderedId(this.runtime.clock.now(), this.runtime.random),
      content: encodeDeviceMessage(message),
      recipients: [...new Set(userIds)],
      envelopes: [],
      createdAt: this.runtime.clock.now(),
      handOutFor: message.kind === 'sender_key' ? message.conversationId : null,
    });
    this.loop.run();
  }

  /**
   * Queues `message` for one device of a person. The server takes a send for all of a person's
   * devices or none, so it goes to each of them, naming the one it is for; the others drop it.
   */
  queueFor(device: { userId: string; deviceNumber: number }, message: OneDeviceMessage): void {
    this.queue([device.userId], { ...message, forDevice: device.deviceNumber });
  }

  /**
   * Encrypts `content` for every device of `userIds` now and has the server forward it to those
   * connected (send_ephemeral), storing nothing but the ratchet's new state: what a call says is
   * of no use later, so a send that fails is not tried again. Rejects when not connected.
   */
  async sendEphemeral(userIds: readonly string[], content: Uint8Array): Promise<void> {
    const deviceNumber = this.deviceNumber;
    const device = deviceNumber === null ? null : await this.deviceAs(deviceNumber);
    if (!device) throw new RequestError('disconnected', 'Not connected');
    const recipients = [...new Set(userIds)];
    const row: OutgoingRow = {
      clientId: this.newClientId(),
      content: new Uint8Array(content),
      recipients,
      envelopes: [],
      createdAt: this.runtime.clock.now(),
      handOutFor: null,
    };
    const frames = await this.encrypt(device, row, recipients, false, { persist: false });
    await Promise.all(frames.map((frame) => this.forward(device, frame, 0)));
  }

  /** Sends one frame of an ephemeral send, putting the addressing right as the server asks. */
  private async forward(device: ThisDevice, row: OutgoingRow, round: number): Promise<void> {
    if (row.envelopes.length === 0) return;
    const reply = await this.connection.request({ type: 'send_ephemeral', envelopes: row.envelopes });
    if (reply.type === 'ephemeral_sent') return;
    if (reply.type !== 'devices_changed') throw new RequestError('internal', `Unexpected reply ${reply.type} to send_ephemeral`);
    if (round >= MAX_CORRECTIONS) throw new Error('The devices of an ephemeral send kept changing');
    for (const frame of await this.correct(device, row, reply.mismatches, { persist: false })) {
      await this.forward(device, frame, round + 1);
    }
  }

  private async sendWaiting(): Promise<void> {
    const deviceNumber = this.deviceNumber;
    if (deviceNumber === null) return;
    const device = await this.deviceAs(deviceNumber);
    if (!device) return;
    const rows = this.mirror.signal.outgoing((clientId, error) =>
      this.log.warn('dropped a device send that did not read back', { clientId, ...errorFields(error) }),
    );
    for (const row of rows) {
      await this.deliver(device, row);
      this.handOutsDone();
    }
    // Rows that did not read back were dropped above.
    this.handOutsDone();
  }

  /**
   * Encrypts the row where it is not yet, sends it in frames the server takes, and puts the
   * addressing right as the server asks. A send to many people (a sender key handed out in a big
   * group) is encrypted a slice of people at a time, each slice sent before the next is
   * encrypted: the first devices have it while the last are still being encrypted for, and other
   * ratchet work (opening what arrives) is never held up for long.
   */
  private async deliver(device: ThisDevice, row: OutgoingRow): Promise<void> {
    if (row.envelopes.length > 0) {
      for (const frame of this.cut(row)) await this.send(device, frame, 0);
      return;
    }
    // Each round trip overlaps the next slice's work: its bundles are asked for while this slice
    // is encrypted, and this slice's frames are on their way while the next is.
    let rest: OutgoingRow | null = row;
    let bundles = settled(this.fetchBundles(device, row.recipients.slice(0, PEOPLE_PER_SLICE), false));
    let sending: Promise<unknown> = Promise.resolve();
    while (rest) {
      const slice = rest.recipients.slice(0, PEOPLE_PER_SLICE);
      const later = rest.recipients.slice(PEOPLE_PER_SLICE);
      // The row keeps its client id and the people after this slice; the slice goes under a new id.
      const remaining: OutgoingRow | null = later.length > 0 ? { ...rest, recipients: later } : null;
      const now = remaining ? { ...rest, clientId: this.newClientId(), recipients: slice } : rest;
      const fetched = await bundles;
      if (remaining) bundles = settled(this.fetchBundles(device, later.slice(0, PEOPLE_PER_SLICE), false));
      const frames = await this.encrypt(device, now, slice, false, { persist: true }, remaining, fetched);
      await sending;
      sending = settled(Promise.all(frames.map((frame) => this.send(device, frame, 0))));
      rest = remaining;
    }
    await sending;
  }

  private async send(device: ThisDevice, row: OutgoingRow, round: number): Promise<void> {
    if (row.envelopes.length === 0) {
      this.log.warn('a device send had no device to go to', { clientId: row.clientId });
      this.mirror.signal.removeOutgoing(row.clientId);
      return;
    }
    const reply = await this.request(row);
    if (reply === 'sent') {
      this.mirror.signal.removeOutgoing(row.clientId);
      return;
    }
    if (round >= MAX_CORRECTIONS) throw new Error(`The devices of a send kept changing (${row.clientId})`);
    for (const frame of await this.correct(device, row, reply)) await this.send(device, frame, round + 1);
  }

  /**
   * A send encrypted as one row cut into frames the server takes (device-send-frames.ts), kept
   * in place of the row in one transaction; a row encrypted by an earlier version could outgrow one.
   */
  private cut(row: OutgoingRow): OutgoingRow[] {
    const frames = this.framesOf(row);
    if (frames.length > 1 || frames[0]!.envelopes.length !== row.envelopes.length) {
      this.mirror.transaction(() => {
        for (const frame of frames) this.mirror.signal.putOutgoing(frame);
      });
    }
    return frames;
  }

  /** framesOf, saying who could not be sent to. */
  private framesOf(row: OutgoingRow): OutgoingRow[] {
    const { frames, tooLarge } = framesOf(row, () => this.newClientId());
    for (const userId of tooLarge) {
      this.log.warn("a device message too large for one frame of a person's devices was not sent to them", {
        clientId: row.clientId,
        userId,
      });
    }
    return frames;
  }

  private async request(row: OutgoingRow): Promise<'sent' | DeviceMismatch[]> {
    try {
      const reply = await this.connection.request({ type: 'send_to_devices', clientId: row.clientId, envelopes: row.envelopes });
      if (reply.type === 'devices_changed') return reply.mismatches;
      if (reply.type !== 'envelopes_sent')
        throw new RequestError('internal', `Unexpected reply ${reply.type} to send_to_devices`);
      for (const full of reply.full ?? []) this.log.warn('a device had no room for a device message', full);
      return 'sent';
    } catch (error) {
      if (!(error instanceof RequestError) || !error.permanent) throw error;
      // Nothing sent again can change a refusal: say so, and let the rest go on.
      this.log.warn('the server refused a device send', { clientId: row.clientId, code: error.code, reason: error.reason });
      return 'sent';
    }
  }

  private newClientId(): string {
    return timeOrderedId(this.runtime.clock.now(), this.runtime.random);
  }

  /**
   * Forgets sessions with devices that are gone or replaced, and encrypts again for every device
   * missed. A stale device's session goes only if it is still the one this row was sealed with: a
   * session the device itself started since (its first message arrived meanwhile) is the right one,
   * and forgetting it would leave that device's next messages with a one-time key already used.
   */
  private async correct(
    device: ThisDevice,
    row: OutgoingRow,
    mismatches: readonly DeviceMismatch[],
    storing: Storing = { persist: true },
  ): Promise<OutgoingRow[]> {
    const dropped = new Set<string>();
    const redo = new Set<string>();
    const sealedFor = new Map(row.envelopes.map((envelope) => [addressOf(envelope), envelope.registrationId]));
    await this.lane.run(async () =>
      this.mirror.transaction(() => {
        for (const { userId, extra, stale, missing } of mismatches) {
          for (const number of extra) {
            const address = addressOf({ userId, deviceNumber: number });
            this.mirror.signal.removeSession(address);
            dropped.add(address);
          }
          for (const number of stale) {
            const address = addressOf({ userId, deviceNumber: number });
            const registration = this.sessionRegistration(device, address);
            if (registration === null || registration === sealedFor.get(address)) this.mirror.signal.removeSession(address);
            dropped.add(address);
          }
          if (stale.length + missing.length > 0) redo.add(userId);
        }
      }),
    );
    for (const userId of redo) this.noDevicesUntil.delete(userId);
    const kept = { ...row, envelopes: row.envelopes.filter((envelope) => !dropped.has(addressOf(envelope))) };
    return this.encrypt(device, kept, [...redo], true, storing);
  }

  /** The registration id of the device a stored session is with; null without one, or when it does not read back. */
  private sessionRegistration(device: ThisDevice, address: string): number | null {
    const record = this.mirror.signal.session(address);
    if (!record) return null;
    try {
      return device.signal.SessionRecord.deserialize(new Uint8Array(record)).remoteRegistrationId();
    } catch {
      return null;
    }
  }

  /**
   * Encrypts the row's content for every device of `userIds` it has no envelope for, starting
   * sessions from fetched bundles where there are none (or, `correcting`, where the server said
   * some were missed), and stores it, as the frames it goes in, with the ratchet state in one
   * transaction (and `remaining`, what is left of the send to encrypt later); an ephemeral send
   * stores only the ratchet state.
   */
  private async encrypt(
    device: ThisDevice,
    row: OutgoingRow,
    userIds: readonly string[],
    correcting: boolean,
    storing: Storing = { persist: true },
    remaining: OutgoingRow | null = null,
    fetched?: ReadonlyMap<string, Bundles | null>,
  ): Promise<OutgoingRow[]> {
    const bundles = fetched ?? (await this.fetchBundles(device, userIds, correcting));
    return this.lane.run(async () => {
      const ratchet = device.ratchet();
      const done = new Set(row.envelopes.map(addressOf));
      const envelopes = [...row.envelopes];
      for (const userId of userIds) {
        const theirs: OutgoingEnvelope[] = [];
        try {
          for (const address of await this.sessionsWith(device, ratchet, userId, done, bundles)) {
            theirs.push(await this.seal(device, ratchet, address, row.content));
          }
          envelopes.push(...theirs);
        } catch (error) {
          if (!(error instanceof device.signal.LibSignalErrorBase)) throw error;
          // A bundle that does not verify, or an identity changed that nobody has accepted yet:
          // nothing goes to them now, and the rest of the send goes on.
          this.log.warn('not sending to a person whose keys libsignal refused', { userId, ...errorFields(error) });
          for (let i = envelopes.length - 1; i >= 0; i--) if (envelopes[i]!.userId === userId) envelopes.splice(i, 1);
        }
      }
      const frames = this.framesOf({ ...row, envelopes });
      this.mirror.transaction(() => {
        ratchet.writeTo(this.mirror.signal);
        if (!storing.persist) return;
        for (const frame of frames) this.mirror.signal.putOutgoing(frame);
        if (remaining) this.mirror.signal.putOutgoing(remaining);
      });
      return frames;
    });
  }

  /**
   * The bundles of those of `userIds` to start sessions with (all of them when `correcting`, else
   * those with no session and not known to have no device), asked for side by side: one round
   * trip, not one per person. Null for a person with no keys.
   */
  private async fetchBundles(
    device: ThisDevice,
    userIds: readonly string[],
    correcting: boolean,
  ): Promise<Map<string, Bundles | null>> {
    const now = this.runtime.clock.now();
    const wanted = userIds.filter(
      (userId) =>
        correcting || (this.sessionDevices(device, userId).length === 0 && (this.noDevicesUntil.get(userId) ?? 0) <= now),
    );
    const fetched = await Promise.all(wanted.map((userId) => this.bundlesOf(userId)));
    return new Map(wanted.map((userId, index) => [userId, fetched[index]!]));
  }

  /** The addresses of `userId`'s devices to encrypt for, other than those `done`: sessions where they exist, else started from `bundles`. */
  private async sessionsWith(
    device: ThisDevice,
    ratchet: RatchetState,
    userId: string,
    done: ReadonlySet<string>,
    bundles: ReadonlyMap<string, Bundles | null>,
  ): Promise<ProtocolAddress[]> {
    const sessions = this.sessionDevices(device, userId);
    const known = sessions.filter((number) => !done.has(`${userId}.${number}`));
    const fetched = bundles.get(userId);
    const fresh = fetched ? await this.startSessions(device, ratchet, userId, done, fetched) : [];
    if (bundles.has(userId) && sessions.length === 0 && fresh.length === 0) {
      this.noDevicesUntil.set(userId, this.runtime.clock.now() + NO_DEVICES_FOR_MS);
    }
    const numbers = [...new Set([...known, ...fresh])].sort((a, b) => a - b);
    return numbers.map((number) => device.signal.ProtocolAddress.new(userId, number));
  }

  /** The devices of `userId` this device has sessions with (never itself). */
  private sessionDevices(device: ThisDevice, userId: string): number[] {
    const isSelf = userId === this.selfId;
    return this.mirror.signal.sessionDevicesOf(userId).filter((number) => !(isSelf && number === device.address.deviceId()));
  }

  /** Starts sessions with each of `userId`'s devices that has none and is not `done`, from their bundles; their numbers. */
  private async startSessions(
    device: ThisDevice,
    ratchet: RatchetState,
    userId: string,
    done: ReadonlySet<string>,
    bundles: Bundles,
  ): Promise<number[]> {
    const started: number[] = [];
    for (const bundle of bundles.bundles) {
      const key = `${userId}.${bundle.deviceNumber}`;
      if (done.has(key) || this.mirror.signal.session(key)) continue;
      const address = device.signal.ProtocolAddress.new(userId, bundle.deviceNumber);
      await device.signal.processPreKeyBundle(
        toPreKeyBundle(device.signal, bundles.identityKey, bundle),
        address,
        device.address,
        ratchet,
        ratchet,
        new Date(this.runtime.clock.now()),
      );
      started.push(bundle.deviceNumber);
    }
    return started;
  }

  private async bundlesOf(userId: string): Promise<Bundles | null> {
    try {
      const reply = await this.connection.request({ type: 'fetch_key_bundles', userId });
      if (reply.type !== 'key_bundles') throw new RequestError('internal', `Unexpected reply ${reply.type} to fetch_key_bundles`);
      return reply;
    } catch (error) {
      if (error instanceof RequestError && error.reason === 'no_keys') return null;
      throw error;
    }
  }

  private async seal(
    device: ThisDevice,
    ratchet: RatchetState,
    address: ProtocolAddress,
    content: Uint8Array,
  ): Promise<OutgoingEnvelope> {
    const sealed = await device.signal.signalEncrypt(
      new Uint8Array(content),
      address,
      device.address,
      ratchet,
      ratchet,
      new Date(this.runtime.clock.now()),
    );
    const session = await ratchet.getSession(address);
    return {
      userId: address.name(),
      deviceNumber: address.deviceId(),
      registrationId: session!.remoteRegistrationId(),
      kind: envelopeKindOf(sealed.type()),
      ciphertext: Buffer.from(sealed.serialize()).toString('base64'),
    };
  }
}

const addressOf = (envelope: Pick<OutgoingEnvelope, 'userId' | 'deviceNumber'>) => `${envelope.userId}.${envelope.deviceNumber}`;

/** The envelope kind of what signalEncrypt made: a session's first message, or one after it. */
function envelopeKindOf(type: number): EnvelopeKind {
  if (type === 3) return 'prekey';
  if (type === 2) return 'whisper';
  throw new Error(`signalEncrypt made a message of type ${type}`);
}
