import type { AppEvent } from '../app-api/contract.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import { errorFields, type Logger } from '../common/logger.js';
import { personalSettingKey, type PersonalRegister, type StoredPersonalSetting } from '../content/personal-settings.js';
import type { StoredSetting } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import { backoffDelay, OUTBOX_BACKOFF } from './backoff.js';
import { RequestError, type SyncConnection } from './connection.js';
import { inTheClear, type SettingsSeal } from './crypto/sealed-settings.js';
import type { Mirror } from './mirror/mirror.js';
import type { SettingsChange } from './mirror/settings-store.js';

/** Room left in a set_settings frame for its type, rid and brackets. */
const FRAME_OVERHEAD_BYTES = 1024;

/** The refusal of a frame whose sealed registers would pass what the server keeps for one account. */
const SETTINGS_FULL = 'settings_full';

/**
 * Keeps this person's settings in step with the server, beside the outbox sender. Local writes
 * sit in the mirror's registers, pending; when online they go out in set_settings frames (only
 * the latest value of each register, as few frames as fit LIMITS), and the reply (the registers
 * as the server stores them after its merge) is merged back last-writer-wins, which confirms our
 * write unless a newer local one came meanwhile (then that one is sent next). On each connection
 * the pending registers go first, then every change since the settings cursor is pulled, page by
 * page; pushes from our other devices merge the same way. A transient failure retries with
 * backoff; nothing pending is ever dropped. Private settings go sealed (crypto/sealed-settings.ts):
 * until this device holds the account's identity they wait here, and nothing is pulled (the
 * cursor would pass what cannot be opened yet); linking starts a new connection, which pulls.
 * When the server has no room for more of them (settings_full: the account's budget of sealed
 * settings), every private register waiting is held back here, in effect on this device, until the
 * next connection, a new write of it, or the server taking another (which may have made room: a
 * draft emptied by sending), tried once more each time and never in a loop; the settings the
 * server reads still go, and the core's state says so (settingsFull) until the server takes them.
 */
export class SettingsSync {
  private online = false;
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Asked to run again while running (pull: a full pull too). */
  private again: { pull: boolean } | null = null;
  private attempt = 0;
  private retryTimer: TimerHandle | null = null;
  /** Registers wait here because the server had no room for them (settings_full), as the last push found. */
  private full: boolean;

  constructor(
    private readonly mirror: Mirror,
    private readonly connection: SyncConnection,
    private readonly runtime: Runtime,
    private readonly emit: (event: AppEvent) => void,
    /** What seals and opens private settings: null while this device has no identity. */
    private readonly sealer: () => Promise<SettingsSeal | null>,
    private readonly log: Logger,
    /** Sender keys the account kept came from the server: the device takes up those it lacks. */
    private readonly senderKeysKept: () => void = () => {},
  ) {
    // Held back when this device last pushed (they wait for the next connection): said at once.
    this.full = mirror.settings.heldBackFor(SETTINGS_FULL);
  }

  /** Whether private settings wait here because the server had no room for them (settings_full). */
  get settingsFull(): boolean {
    return this.full;
  }

  /** A new connection is up: push what is pending, then pull what changed elsewhere. */
  connected(): void {
    if (this.stopped) return;
    this.online = true;
    this.attempt = 0;
    this.clearRetry();
    // Refused registers get another chance on each connection.
    this.mirror.settings.clearSendErrors();
    this.run(true);
  }

  disconnected(): void {
    this.online = false;
    this.clearRetry();
  }

  stop(): void {
    this.stopped = true;
    this.disconnected();
  }

  /** A local write (or a conversation created on the server) may have left registers to send. */
  kick(): void {
    if (this.online && !this.stopped && !this.retryTimer) this.run(false);
  }

  /** Another of our devices changed settings: merge them as stored on the server. */
  pushed(settings: readonly StoredSetting[]): void {
    if (this.stopped) return;
    this.sealer()
      .then((seal) => {
        if (this.stopped) return;
        const opened = this.open(seal, settings);
        this.announce(this.mirror.transaction(() => this.mirror.settings.merge(opened)));
      })
      .catch((error: unknown) => this.log.warn('settings pushed by another device were not merged', errorFields(error)));
  }

  private run(pull: boolean): void {
    if (this.running) {
      this.again = { pull: pull || (this.again?.pull ?? false) };
      return;
    }
    this.running = this.cycle(pull).finally(() => {
      this.running = null;
      const again = this.again;
      this.again = null;
      if (again && this.online && !this.stopped && !this.retryTimer) this.run(again.pull);
    });
  }

  private async cycle(pull: boolean): Promise<void> {
    try {
      const seal = await this.sealer();
      await this.pushPending(seal);
      if (pull && seal) await this.pull(seal);
      this.attempt = 0;
    } catch (error) {
      if (this.stopped || !this.online) return;
      if (error instanceof RequestError && error.permanent) {
        console.warn('Settings sync was refused:', error.message);
        return;
      }
      // Transient (timeout, a reply we did not expect): try again later, as the outbox does.
      const delay = backoffDelay(OUTBOX_BACKOFF, this.attempt++, this.runtime.random);
      this.retryTimer = this.runtime.timers.setTimeout(() => {
        this.retryTimer = null;
        if (this.online && !this.stopped) this.run(pull);
      }, delay);
    }
  }

  private async pushPending(seal: SettingsSeal | null): Promise<void> {
    // After a refusal the rest go one at a time, so only the refused register waits.
    let single = false;
    // After settings_full nothing more goes sealed this time: the server has no room for it.
    let sealing = seal;
    // What waited for room is tried again at most once a run, after the server took a sealed register.
    let released = false;
    for (;;) {
      if (!this.online || this.stopped) return;
      const sealer = sealing;
      const batch = this.mirror.settings.pendingBatch(
        single ? 1 : LIMITS.maxSettingsPerFrame,
        LIMITS.maxFrameBytes - FRAME_OVERHEAD_BYTES,
        sealer ? (register) => sealer.seal(register) : null,
      );
      if (batch.wire.length === 0) {
        this.noteFull(this.mirror.settings.heldBackFor(SETTINGS_FULL));
        return;
      }
      let stored: StoredSetting[];
      try {
        const reply = await this.connection.request({ type: 'set_settings', settings: batch.wire });
        if (reply.type !== 'settings') throw new RequestError('internal', `Unexpected reply ${reply.type} to set_settings`);
        stored = reply.settings;
      } catch (error) {
        if (!(error instanceof RequestError) || !error.permanent || this.stopped) throw error;
        if (error.reason === SETTINGS_FULL && sealing && batch.wire.some((register) => register.setting.kind === 'sealed')) {
          // The whole frame was refused: its sealed registers, and every other waiting, stay here
          // pending; the settings the server reads go on without them.
          const count = this.mirror.settings.holdBackPrivate(SETTINGS_FULL);
          this.log.warn('the server has no room for more settings: they apply on this device and wait', { count });
          this.noteFull(true);
          sealing = null;
          continue;
        }
        const first = batch.personal[0];
        if (batch.personal.length === 1 && first) {
          this.mirror.settings.failSend(personalSettingKey(first.setting), error.reason ?? error.code);
        }
        single = true;
        continue;
      }
      const opened = this.open(seal, stored);
      this.announce(this.mirror.transaction(() => this.confirm(batch.personal, opened)));
      // The server took a sealed register, which may have made room (a draft emptied by sending):
      // what waited for room goes once more; refused again, it waits for the next connection.
      if (!released && this.full && batch.wire.some((register) => register.setting.kind === 'sealed')) {
        released = this.mirror.settings.releaseHeld(SETTINGS_FULL) > 0;
      }
    }
  }

  /** Merges the reply; a register the server did not answer for waits for the next connection (no hot loop). */
  private confirm(batch: readonly PersonalRegister[], stored: readonly StoredPersonalSetting[]): SettingsChange {
    const change = this.mirror.settings.merge(stored);
    for (const register of batch) {
      if (this.mirror.settings.stillPending(register))
        this.mirror.settings.failSend(personalSettingKey(register.setting), 'unconfirmed');
    }
    return change;
  }

  private async pull(seal: SettingsSeal): Promise<void> {
    for (;;) {
      if (!this.online || this.stopped) return;
      const afterVersion = this.mirror.settings.cursor();
      const reply = await this.connection.request({ type: 'list_settings', afterVersion, limit: LIMITS.maxSettingsPerFrame });
      if (reply.type !== 'settings') throw new RequestError('internal', `Unexpected reply ${reply.type} to list_settings`);
      const newest = Math.max(afterVersion, ...reply.settings.map((register) => register.version));
      const change = this.mirror.transaction(() => {
        const merged = this.mirror.settings.merge(this.open(seal, reply.settings));
        this.mirror.settings.advanceCursor(newest);
        return merged;
      });
      this.announce(change);
      // A page that did not move the cursor cannot be followed by another (a server bug): stop.
      if (!reply.hasMore || newest === afterVersion) return;
    }
  }

  /**
   * Registers from the server as this device keeps them. A sealed one that does not open (sealed
   * under an identity the account had before, or by a newer version) is left on the server and
   * logged; without a seal every sealed one waits for the pull after linking.
   */
  private open(seal: SettingsSeal | null, stored: readonly StoredSetting[]): StoredPersonalSetting[] {
    const opened: StoredPersonalSetting[] = [];
    let unopened = 0;
    for (const register of stored) {
      const personal = seal ? seal.open(register) : inTheClear(register);
      if (personal) opened.push(personal);
      else if (seal) unopened++;
    }
    if (unopened > 0) this.log.warn('sealed settings did not open on this device', { count: unopened });
    return opened;
  }

  /** Whether registers wait for room on the server now: the core's state changes with it. */
  private noteFull(full: boolean): void {
    if (full === this.full) return;
    this.full = full;
    if (!full) this.log.info('the server took the settings that waited for room');
    this.emit({ type: 'core_state' });
  }

  private announce(change: SettingsChange): void {
    if (change.senderKeys) this.senderKeysKept();
    if (!change.changed) return;
    this.emit({ type: 'settings', conversationIds: change.conversationIds });
    this.emit({ type: 'conversations' });
  }

  private clearRetry(): void {
    if (this.retryTimer) this.runtime.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
