/**
 * The client core as hosts run it: the normal core, or, when the mirror cannot be opened (damaged,
 * or encrypted with a key this device no longer has), a core in the "recovery" state that keeps
 * the host up, says what happened, and offers startFresh. It also notices a full disk (any call
 * failing with SQLITE_FULL or ENOSPC) and, on the injected timers, when there is room again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  APP_API_METHODS,
  AppApiError,
  type AppApiMethod,
  type AppEvent,
  type CoreState,
  type RecoveryView,
} from '../app-api/contract.js';
import { isDiskFull } from '../app-api/disk-full.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import { realRuntime } from '../node/real-runtime.js';
import { hostVersionsOf, MIRROR_FILE } from './client-core.js';
import type { ClientCore, ClientCoreOptions } from './client-core-types.js';
import {
  classifyOpenFailure,
  damagedNames,
  moveAside,
  readRecoveryNote,
  removeRecoveryNote,
  writeRecoveryNote,
  type RecoveryNote,
} from './mirror/mirror-recovery.js';
import { salvageOutbox, type SalvageResult } from './mirror/outbox-salvage.js';
import { changedPreferences, PreferencesStore, reportTo } from './preferences-store.js';

export type OpenCore = (options: ClientCoreOptions) => Promise<ClientCore>;

/** How often a full disk is tried again. */
export const DISK_PROBE_MS = 5_000;

export interface RecoveryOptions {
  /** How often a full disk is tried again (tests make it short). */
  diskProbeMs?: number;
}

interface Recovery {
  note: RecoveryNote;
  salvage: SalvageResult;
}

/** Opens the profile with `open`, or comes up in recovery when its mirror cannot be read. */
export async function openClientCoreWithRecovery(
  options: ClientCoreOptions,
  open: OpenCore,
  { diskProbeMs = DISK_PROBE_MS }: RecoveryOptions = {},
): Promise<ClientCore> {
  const runtime = options.runtime ?? realRuntime();
  // The core is made before the wrapper that hears of its full disk: the wrapper plugs in here.
  const diskFull = { noted: () => {} };
  const watched = { ...options, onDiskFull: () => diskFull.noted() };
  const core = (inner: ClientCore | null, recovery: Recovery | null) => {
    const wrapper = new RecoveringCore(watched, open, runtime, diskProbeMs, inner, recovery);
    diskFull.noted = () => wrapper.noteDiskFull();
    return wrapper.api;
  };
  const dir = options.profileDir;
  const mirrorPath = join(dir, MIRROR_FILE);
  const salvage = (note: RecoveryNote) =>
    salvageOutbox(join(dir, note.movedTo[0] ?? ''), {
      ...(options.mirrorKey ? { key: options.mirrorKey } : {}),
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });

  const waiting = readRecoveryNote(dir);
  if (waiting && !existsSync(mirrorPath)) return core(null, { note: waiting, salvage: salvage(waiting) });
  // A note beside a mirror: stopped after making the new mirror (the salvage is queued again: it
  // is idempotent), or before the damaged one was moved (then it is moved now, below).
  const restored = waiting ? salvage(waiting).outbox : null;
  let opened: ClientCore;
  try {
    opened = await open({ ...watched, ...(restored ? { restoreOutbox: restored } : {}) });
    if (waiting) removeRecoveryNote(dir);
  } catch (error) {
    const problem = classifyOpenFailure(error, mirrorPath);
    if (!problem) throw error;
    let note: RecoveryNote;
    try {
      const names = damagedNames(dir, MIRROR_FILE, runtime.clock.now());
      note = { problem, movedTo: names.map(([, to]) => to) };
      // The note first: a start that stops between the two still finds the recovery waiting.
      writeRecoveryNote(dir, note);
      moveAside(dir, names);
      options.logger?.warn('the mirror could not be opened: moved aside, waiting for start fresh', { problem });
    } catch {
      // It cannot even be moved aside (no permission, no room for the note): the original failure says more.
      throw error;
    }
    return core(null, { note, salvage: salvage(note) });
  }
  return core(opened, null);
}

class RecoveringCore {
  readonly api: ClientCore;
  private readonly listeners = new Set<(event: AppEvent) => void>();
  private unsubscribeInner: (() => void) | null = null;
  private starting: Promise<null> | null = null;
  private diskFull = false;
  private probeTimer: TimerHandle | null = null;
  private closed = false;
  /** This device's preferences while there is no core to keep them (they live beside the mirror, not in it). */
  private readonly recoveryPreferences: PreferencesStore | null;

  constructor(
    private readonly options: ClientCoreOptions,
    private readonly open: OpenCore,
    private readonly runtime: Runtime,
    private readonly diskProbeMs: number,
    private inner: ClientCore | null,
    private recovery: Recovery | null,
  ) {
    if (inner) this.adopt(inner);
    // Opened now so that --offline is noted at once, as the core would.
    this.recoveryPreferences = inner
      ? null
      : PreferencesStore.open(options.profileDir, {
          workOffline: options.workOffline === true,
          onProblem: reportTo(options.logger),
        });
    const calls: Partial<Record<AppApiMethod, (args?: unknown) => Promise<unknown>>> = {};
    for (const method of APP_API_METHODS) calls[method] = (args) => this.call(method, args);
    this.api = Object.assign(calls, {
      subscribe: (listener: (event: AppEvent) => void) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      close: () => this.close(),
      gifBytes: (id: string) => this.gifBytes(id),
    }) as ClientCore;
  }

  private async call(method: AppApiMethod, args: unknown): Promise<unknown> {
    if (method === 'getCoreState') return this.state();
    if (method === 'startFresh') return this.startFresh();
    const inner = this.inner;
    if (!inner) return this.answerInRecovery(method, args);
    try {
      const implementation = inner[method] as (this: ClientCore, args: unknown) => Promise<unknown>;
      return await implementation.call(inner, args);
    } catch (error) {
      if (isDiskFull(error)) this.noteDiskFull();
      throw error;
    }
  }

  private gifBytes(id: string): Promise<Buffer> {
    const inner = this.inner;
    if (!inner?.gifBytes) return Promise.reject(new AppApiError('not_signed_in', 'The messages on this device are not open.'));
    return inner.gifBytes(id);
  }

  private async state(): Promise<CoreState> {
    if (!this.recovery) {
      // The core says what it knows (the server's room for settings); the full disk is noticed here.
      const inner = await this.inner?.getCoreState();
      return { kind: 'ready', diskFull: this.diskFull, settingsFull: inner?.kind === 'ready' && inner.settingsFull };
    }
    const { note, salvage } = this.recovery;
    const recovery: RecoveryView = {
      problem: note.problem,
      movedTo: note.movedTo.map((name) => join(this.options.profileDir, name)),
      recoveredMessages: salvage.recoveredMessages,
      unrecoverable: salvage.unrecoverable,
    };
    return { kind: 'recovery', recovery };
  }

  /** Enough for the renderer to show the recovery screen; everything else waits for startFresh. */
  private answerInRecovery(method: AppApiMethod, args: unknown): unknown {
    if (method === 'getDefaults') {
      const lastAccount = this.recoveryPreferences?.lastAccount();
      return { serverUrl: this.options.defaultServerUrl, ...(lastAccount ? { lastAccount } : {}) };
    }
    if (method === 'getSession') return null;
    if (method === 'getConnectionState') return 'offline';
    // No mirror open: no SQLite or schema version to tell.
    if (method === 'getAbout') return { ...hostVersionsOf(this.options), sqlite: null, schemaVersion: null };
    const preferences = this.recoveryPreferences;
    if (method === 'getPreferences' && preferences) return preferences.current;
    if (method === 'setPreferences' && preferences) {
      const before = preferences.current;
      // Checked whole by the store's schema, as the dispatcher checked it already.
      const after = preferences.change(args ?? {});
      if (changedPreferences(before, after).length > 0) this.emit({ type: 'preferences' });
      return after;
    }
    throw new AppApiError('not_signed_in', 'The messages on this device could not be opened: start fresh first.');
  }

  private startFresh(): Promise<null> {
    const recovery = this.recovery;
    if (!recovery) {
      return Promise.reject(
        new AppApiError('conflict', 'The messages on this device opened normally; there is nothing to start afresh from.'),
      );
    }
    this.starting ??= (async () => {
      try {
        const restore = recovery.salvage.outbox;
        // --offline was applied when recovery began; since then only the person's switch counts.
        const core = await this.open({ ...this.options, workOffline: false, ...(restore ? { restoreOutbox: restore } : {}) });
        if (this.closed) {
          await core.close();
          return null;
        }
        removeRecoveryNote(this.options.profileDir);
        this.recovery = null;
        this.inner = core;
        this.adopt(core);
        this.emit({ type: 'core_state' });
        this.emit({ type: 'session', session: null });
        return null;
      } catch (error) {
        if (isDiskFull(error)) this.noteDiskFull();
        throw error;
      } finally {
        this.starting = null;
      }
    })();
    return this.starting;
  }

  private adopt(core: ClientCore): void {
    this.unsubscribeInner = core.subscribe((event) => this.emit(event));
  }

  noteDiskFull(): void {
    if (this.diskFull || this.closed) return;
    this.options.logger?.warn('the disk is full');
    this.diskFull = true;
    this.emit({ type: 'core_state' });
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.probeTimer = this.runtime.timers.setTimeout(() => {
      this.probeTimer = null;
      if (this.closed) return;
      try {
        this.inner?.probeWrite?.();
      } catch {
        // Still no room (or another failure: tried again all the same, the banner stays meanwhile).
        this.scheduleProbe();
        return;
      }
      this.diskFull = false;
      this.options.logger?.info('the disk has room again');
      this.emit({ type: 'core_state' });
    }, this.diskProbeMs);
  }

  private async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) this.runtime.timers.clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.unsubscribeInner?.();
    this.listeners.clear();
    await this.inner?.close();
  }

  private emit(event: AppEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('An app event listener failed:', error);
      }
    }
  }
}
