import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppApiError } from '../../sync/app-api/contract.js';
import type { ClientCore } from '../../sync/client/client-core-types.js';
import { MIRROR_FILE, openClientCore } from '../../sync/client/client-core.js';
import type { Content } from '../../sync/content/content.js';
import type { Conversation } from '../../sync/protocol/frames.js';
import { personalSettingKey, type StoredPersonalSetting } from '../../sync/content/personal-settings.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import { SERVER_DATABASE_FILE, type SqliteServerStore } from '../../sync/server/store/sqlite-server-store.js';
import { allConversationsOf } from '../support/all-conversations.js';
import { BlockReference } from './block-reference.js';
import { History } from './history.js';
import { SimHttp } from './memory-http.js';
import { SimUploads } from './memory-uploads.js';
import { MirrorInspector } from './mirror-inspector.js';
import { Mirror } from '../../sync/client/mirror/mirror.js';
import { queuedContent } from '../../sync/client/queued-content.js';
import { Network } from './network.js';
import { createPeople, PEOPLE, SERVER_URL, newMachine, type SimConversation, type SimDevice, type SimUser } from './people.js';
import { SeededRandom } from './random.js';
import { Scheduler, settleMicrotasks, SIM_EPOCH_MS, type Lifetime } from './scheduler.js';
import { ServerInspector } from './server-inspector.js';
import { SimServer } from './server-nodes.js';
import type { LogFields, Logger } from '../../sync/common/logger.js';

export type ActResult<T> = { ok: true; value: T } | { ok: false; refusal: string };

/** A device whose session ended (unlinked, or its machine lost), and where every log stood at that moment. */
export interface GoneDevice {
  device: SimDevice;
  /** conversationId → its last seq when the session ended: nothing after may ever open on this device. */
  lastSeqs: Map<string, number>;
}

/** How many server nodes a world runs, drawn by its seed: mostly a cluster, sometimes the embedded single node. */
const NODE_COUNTS = [1, 2, 2, 3, 3] as const;
/** What answers an upload request while no node is up: nothing. */
const NO_NODE: Lifetime = { name: 'no node', alive: false };

/**
 * One simulated world: the real server (one to three SyncService nodes over one SQLite store) and
 * real client cores on their own SQLite mirrors, joined by the in-memory network, all on one
 * virtual clock and one seed. It offers what the steps do (people acting, devices, server nodes
 * and the whole server crashing or restarting, time passing) and what the invariants read (the
 * server's log, the mirrors).
 */
export class SimWorld {
  readonly scheduler = new Scheduler();
  readonly history = new History();
  /** What blocks must hide, from the store's commits (not from what the server marked hidden). */
  readonly blocks = new BlockReference();
  readonly network: Network;
  /** The server's upload endpoint (tus over the simulated network). */
  readonly uploads: SimUploads;
  /** The server's plain HTTP endpoints: sessions, downloads. */
  readonly http: SimHttp;
  readonly server: SimServer;
  users: SimUser[] = [];
  /** The devices signed in now: linked, or waiting to be. */
  devices: SimDevice[] = [];
  /** Devices whose sessions ended; their mirrors stay, as a stolen machine would keep them. */
  readonly gone: GoneDevice[] = [];
  conversations: SimConversation[] = [];
  /** What the server logged as errors: none are expected. */
  readonly serverErrors: string[] = [];
  /** The world's own dice: file contents, how many nodes, who leaves at the end. */
  readonly random: SeededRandom;
  private readonly root = mkdtempSync(join(tmpdir(), 'messenger-sim-'));
  /** Cores dropped by a crash (never closed by their own code), closed at dispose. */
  private readonly crashed: ClientCore[] = [];
  /** Waiting devices whose linking or restore is under way (see finishLinking). */
  private readonly completing = new Set<string>();
  private texts = 0;

  private constructor(seed: number) {
    this.random = new SeededRandom(seed);
    this.network = new Network(this.scheduler, this.random.fork(), {
      serverFrame: (device, text) => this.history.serverFrame(device, text),
      // Only when tracing: building a line per frame is not free.
      ...(process.env.SIM_TRACE ? { trace: (line: string) => this.trace(line) } : {}),
    });
    this.server = new SimServer(
      this.root,
      NODE_COUNTS[this.random.int(0, NODE_COUNTS.length - 1)]!,
      this.scheduler,
      this.random.fork(),
      this.network,
      {
        error: (line) => this.serverErrors.push(line),
        storeOpened: (store) => {
          this.blocks.watch(store);
          this.watchSessions(store);
        },
        ...(process.env.SIM_TRACE ? { trace: (line: string) => this.trace(line) } : {}),
      },
    );
    // Plain HTTP, uploads included, reaches any node: the store is shared.
    const exchanges = {
      serverStore: () => (this.server.pickReady() ? this.server.store : null),
      serverLifetime: () => this.server.pickReady()?.lifetime ?? NO_NODE,
      reachable: (device: string) => this.network.reachable(device),
      faultRate: () => this.network.exchangeFaultRate(),
      delay: () => this.network.latency(),
    };
    this.uploads = new SimUploads(this.scheduler, this.random.fork(), exchanges);
    this.http = new SimHttp(this.scheduler, this.random.fork(), {
      ...exchanges,
      sessions: () => this.server.pickReady()?.service?.sessions ?? null,
      uploadBytes: (id) => this.uploads.bytesOf(id),
      loggedIn: (name, sessionId) => {
        const device = this.present(name);
        if (device) device.sessionId = sessionId;
      },
      ...(process.env.SIM_TRACE ? { trace: (line: string) => this.trace(line) } : {}),
    });
  }

  /** With SIM_TRACE=1, every step and every frame on the wire, at its virtual time. */
  trace(line: string): void {
    if (process.env.SIM_TRACE) console.log(`${this.scheduler.now - SIM_EPOCH_MS}ms ${line}`);
  }

  /** A world with everyone signed in and every core open (not yet connected: time has not moved). */
  static async create(seed: number): Promise<SimWorld> {
    const world = new SimWorld(seed);
    try {
      world.server.start();
      world.trace(`world: ${world.server.nodes.length} server node(s)`);
      Object.assign(world, await createPeople(world.store, world.random, world.root, world.scheduler.now));
      for (const device of world.devices) await world.openCore(device);
    } catch (error) {
      await world.dispose();
      throw error;
    }
    return world;
  }

  device(name: string): SimDevice {
    const device = this.devices.find((candidate) => candidate.name === name);
    if (!device) throw new Error(`No device ${name}`);
    return device;
  }

  /** The device of that name signed in now, if any. */
  present(name: string): SimDevice | undefined {
    return this.devices.find((candidate) => candidate.name === name);
  }

  /** A device's read-only view of its mirror, while signed in or after its session ended. */
  inspector(name: string): MirrorInspector {
    const { inspector } = this.present(name) ?? this.gone.find((gone) => gone.device.name === name)?.device ?? this.device(name);
    if (!inspector) throw new Error(`${name} was never opened`);
    return inspector;
  }

  /** The conversations a device's person is or was in, in the order they began. */
  conversationsOf(name: string): SimConversation[] {
    const { user } = this.device(name);
    return this.conversations.filter((conversation) => conversation.memberIds.includes(user.id));
  }

  /** The groups a device's person is or was in (or made on this device), in the order they began. */
  groupsOf(name: string): SimConversation[] {
    return this.conversationsOf(name).filter((conversation) => conversation.kind === 'group');
  }

  /** A group made on a device: a target for the next steps before the server has heard of it. */
  groupMade(conversationId: string, memberIds: string[]): void {
    if (!this.conversations.some((known) => known.id === conversationId))
      this.conversations.push({ id: conversationId, kind: 'group', memberIds });
  }

  /** A file a person attaches: a unique name and seeded bytes, small enough for a few chunks. */
  nextFile(device: string): { name: string; bytes: Buffer } {
    this.texts += 1;
    return { name: `${device}-${this.texts}.bin`, bytes: Buffer.from(this.random.hex(this.random.int(1, 60_000)), 'hex') };
  }

  /** A readable, unique message text. */
  nextText(device: string): string {
    this.texts += 1;
    return `${device}-${this.texts}`;
  }

  // -- what people do --------------------------------------------------------------------------

  /**
   * Runs one thing a person does on a device and records what it did to the outbox. The app API
   * does its SQLite work synchronously inside the call, so the outbox is read right before and
   * right after it, before any other code can run. A refusal by the core itself (e.g. editing a
   * message another device deleted meanwhile) is a normal outcome.
   */
  async act<T>(name: string, action: (core: ClientCore) => Promise<T>): Promise<ActResult<T>> {
    const device = this.device(name);
    const inspector = this.inspector(name);
    const before = inspector.outbox();
    const pending = action(device.core);
    this.history.outboxChanged(name, device.user.id, before, inspector.outbox());
    try {
      return { ok: true, value: await pending };
    } catch (error) {
      if (error instanceof AppApiError) return { ok: false, refusal: `${error.code}: ${error.message}` };
      throw error;
    } finally {
      this.sampleWatermarks();
    }
  }

  /**
   * Like act(), for a change to a personal setting: records the register the device wrote (a
   * last-writer-wins write the invariants hold the server's final value to).
   */
  async actOnSetting<T>(name: string, action: (core: ClientCore) => Promise<T>): Promise<ActResult<T>> {
    const inspector = this.inspector(name);
    const before = new Map(inspector.settings().map((row) => [row.key, row]));
    const result = await this.act(name, action);
    const userId = this.device(name).user.id;
    for (const row of inspector.settings()) {
      const earlier = before.get(row.key);
      if (earlier && earlier.at === row.at && earlier.by === row.by && earlier.value === row.value) continue;
      this.history.settingWrites.push({ device: name, userId, key: row.key, value: row.value, at: row.at, by: row.by });
    }
    return result;
  }

  /** A person's settings as the server keeps them, by key. */
  async serverSettingsOf(userId: string): Promise<Map<string, StoredPersonalSetting>> {
    const { settingsSeal } = this.users.find((user) => user.id === userId)!;
    const settings = new Map<string, StoredPersonalSetting>();
    let afterVersion = 0;
    for (;;) {
      const page = await this.store.listSettings(userId, afterVersion, LIMITS.maxSettingsPerFrame);
      for (const stored of page.settings) {
        const opened = settingsSeal.open(stored);
        if (!opened) throw new Error(`A sealed setting of ${userId} on the server does not open with their identity`);
        settings.set(personalSettingKey(opened.setting), opened);
      }
      if (!page.hasMore || page.settings.length === 0) return settings;
      afterVersion = page.settings.at(-1)!.version;
    }
  }

  /**
   * Like act(), for an action that writes to the outbox only after awaiting something of its own
   * (sending files reads them from the profile's store first): the outbox is read after it ends.
   * No virtual time passes meanwhile, so nothing else in the world runs.
   */
  async actAwaited<T>(name: string, action: (core: ClientCore) => Promise<T>): Promise<ActResult<T>> {
    const device = this.device(name);
    const inspector = this.inspector(name);
    const before = inspector.outbox();
    try {
      return { ok: true, value: await action(device.core) };
    } catch (error) {
      if (error instanceof AppApiError) return { ok: false, refusal: `${error.code}: ${error.message}` };
      throw error;
    } finally {
      this.history.outboxChanged(name, device.user.id, before, inspector.outbox());
      this.sampleWatermarks();
    }
  }

  /**
   * Like act(), for an action that waits on the server (starting a conversation). Not awaited:
   * virtual time only moves between steps, so it settles during later ones. Anything but a
   * refusal is a violation.
   */
  actInBackground(name: string, action: (core: ClientCore) => Promise<unknown>): void {
    void this.act(name, action).catch((error: unknown) => {
      this.history.violations.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /**
   * The person's first device sends a burst of messages at once (a backlog, or many pasted): long
   * ones pass a catch-up page's byte budget, so whoever was away catches up over several pages.
   * Each is sealed as any other: everyone's devices must open and show it.
   */
  async flood(userIndex: number, conversationIndex: number, burst: { count: number; chars: number }): Promise<void> {
    const user = this.users[userIndex % this.users.length]!;
    const conversations = this.conversations.filter((conversation) => conversation.memberIds.includes(user.id));
    const conversation = conversations[conversationIndex % Math.max(1, conversations.length)];
    const device = this.devices.find((candidate) => candidate.user.id === user.id && candidate.linked);
    if (!device || !conversation) return;
    for (let i = 0; i < burst.count; i++) {
      const text = this.nextText(device.name).padEnd(burst.chars, '.');
      const result = await this.act(device.name, (core) => core.sendMessage({ conversationId: conversation.id, text }));
      if (!result.ok) return;
      const intent = { kind: 'text' as const, text };
      this.history.intend({
        device: device.name,
        userId: user.id,
        conversationId: conversation.id,
        messageId: result.value.id,
        intent,
      });
    }
  }

  // -- devices coming and going ---------------------------------------------------------------

  /**
   * The person logs in with their password on a new machine (the next of their spare device
   * names), which then waits to be linked. The log-in itself is not part of the story: it is
   * served at once while virtual time stands still (SimHttp.atOnce), and needs a server node up.
   */
  async addDevice(userIndex: number): Promise<void> {
    const user = this.users[userIndex % this.users.length]!;
    const person = PEOPLE.find((candidate) => candidate.username === user.username)!;
    const taken = new Set([...this.devices, ...this.gone.map((gone) => gone.device)].map((device) => device.name));
    const name = person.spares.find((spare) => !taken.has(spare));
    if (!name || !this.server.pickReady()) return;
    const device = newMachine(name, user, this.root);
    this.devices.push(device);
    await this.openCore(device);
    await this.http.atOnce(() => device.core.logIn({ serverUrl: SERVER_URL, username: user.username, password: 'not-checked' }));
    this.trace(`${name}: logged in as ${user.username}`);
  }

  /**
   * "Link a new device" on `fromName`, with the code `waitingName` shows (once it is connected and
   * knows its device number): the code is described, then the identity handed over. It waits on the
   * server, so it runs in the background; a refusal (offline, say) leaves the device waiting.
   */
  link(fromName: string, waitingName: string): Promise<void> {
    const waiting = this.device(waitingName);
    return this.inBackground(fromName, async (core) => {
      const state = await waiting.core.getLinkState();
      if (state.kind !== 'waiting' || !state.code) return;
      await core.describeLinkCode({ code: state.code });
      await core.linkDevice({ code: state.code });
    });
  }

  /** "Use recovery key instead" on a waiting device: the identity from the key backup, the history from the server. */
  restore(name: string): Promise<void> {
    const { user, core } = this.device(name);
    return this.inBackground(name, async () => {
      if ((await core.getLinkState()).kind !== 'waiting') return;
      await core.restoreFromRecoveryKey({ recoveryKey: user.recoveryKey });
    });
  }

  /** "Linked devices" → "Unlink" on `byName`, for the device listed under `targetName`. */
  unlink(byName: string, targetName: string): Promise<void> {
    return this.inBackground(byName, async (core) => {
      const listed = await core.listSessions();
      const target = listed.find((session) => session.deviceName === targetName && !session.current);
      if (target) await core.endSession({ sessionId: target.id });
    });
  }

  /**
   * The machine is lost or stolen: nothing of it runs again, and its disk keeps what it had. The
   * person ends its session (from another device, or the web) and signs in on a new one, which
   * they link or restore with the recovery key.
   */
  async loseDevice(name: string): Promise<void> {
    const device = this.device(name);
    if (!this.server.pickReady()) return;
    this.network.deviceCrashed(name);
    this.scheduler.kill(device.lifetime);
    await settleMicrotasks();
    this.crashed.push(device.core);
    await this.store.endSessions({ userId: device.user.id, ids: [device.sessionId] });
    await this.addDevice(this.users.indexOf(device.user));
  }

  /**
   * What a person does about each waiting device until it is linked: link it from another of
   * their devices, or with none, restore it with the recovery key. And "Try again" on a linked
   * device whose history did not arrive.
   */
  async finishLinking(): Promise<void> {
    for (const device of this.devices) {
      if (device.linked) {
        const state = await device.core.getLinkState();
        // A history the linking device never sent has nothing to try again (the core says so).
        if (state.kind === 'linked' && state.history === 'failed') await device.core.retryHistoryTransfer().catch(() => null);
        continue;
      }
      if (this.completing.has(device.name)) continue;
      const from = this.devices.find((other) => other.user.id === device.user.id && other.linked);
      this.completing.add(device.name);
      void (from ? this.link(from.name, device.name) : this.restore(device.name)).finally(() =>
        this.completing.delete(device.name),
      );
    }
  }

  /** Like actInBackground, awaitable: the outcome settles while virtual time moves. */
  private inBackground(name: string, action: (core: ClientCore) => Promise<unknown>): Promise<void> {
    return this.act(name, action).then(
      (result) => this.trace(`${name}: ${result.ok ? `done: ${JSON.stringify(result.value)}` : `refused: ${result.refusal}`}`),
      (error: unknown) => {
        this.history.violations.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  /**
   * Sessions end in the store's commit (unlinked, signed out, lost): the SQLite store commits
   * inside the call, so every log's last seq read right after it is where the ended devices
   * stopped being entitled to anything new.
   */
  private watchSessions(store: SqliteServerStore): void {
    const endSessions = store.endSessions.bind(store);
    store.endSessions = (input) => {
      const ending = endSessions(input);
      const inspector = this.serverInspector();
      const lastSeqs = inspector.lastSeqs();
      inspector.close();
      void ending.then((ids) => {
        for (const device of this.devices.filter((candidate) => ids.includes(candidate.sessionId))) {
          this.devices.splice(this.devices.indexOf(device), 1);
          this.gone.push({ device, lastSeqs });
          this.trace(`${device.name}: its session ended`);
        }
      });
      return ending;
    };
  }

  /** Whether a device whose session ended still holds the conversation's creation unsent: it went no further. */
  unsentOnGoneDevice(conversationId: string): boolean {
    return this.gone.some(({ device }) =>
      device.inspector?.outbox().some((row) => row.kind === 'create' && row.conversationId === conversationId),
    );
  }

  /** Marks devices linked once they say so (linked by another, or restored). */
  private async noteLinked(): Promise<void> {
    for (const device of this.devices) {
      if (!device.linked && (await device.core.getLinkState()).kind === 'linked') {
        device.linked = true;
        this.trace(`${device.name}: linked`);
      }
    }
  }

  // -- time, crashes, restarts -----------------------------------------------------------------

  async advance(ms: number): Promise<void> {
    await this.scheduler.advance(ms);
    await this.noteLinked();
    this.sampleWatermarks();
    // Conversations started meanwhile become targets for the next steps.
    await this.refreshConversations();
  }

  /**
   * The device's process dies: its timers and sockets vanish without any of its code running,
   * and it reopens the same profile. Continuations already queued may still finish first (as if
   * the crash came a moment later); SQLite commits are durable at transaction end, so reopening
   * the file is what a restarted process would find. The old core is dropped, not closed:
   * closing would run shutdown code a crash never runs.
   */
  async crashDevice(name: string): Promise<void> {
    const device = this.device(name);
    this.network.deviceCrashed(name);
    this.scheduler.kill(device.lifetime);
    await settleMicrotasks();
    this.crashed.push(device.core);
    await this.openCore(device);
  }

  /** The person quits the app (the core closes as hosts close it, mid-flight or not) and starts it again. */
  async restartDevice(name: string): Promise<void> {
    const device = this.device(name);
    await device.core.close();
    this.scheduler.kill(device.lifetime);
    await settleMicrotasks();
    await this.openCore(device);
  }

  /**
   * Restarts the whole server (every node) on the same database. Clean: every node drains first
   * (sockets closed with 1001, last-seen times written). Crash: the sockets are reset and nothing
   * more of any node runs; frames being handled finished against the store (committed, but their
   * replies are lost).
   */
  async restartServer(clean: boolean, downMs: number): Promise<void> {
    await this.server.stopAll(clean);
    await this.advance(downMs);
    this.server.start();
  }

  // -- reading the server ----------------------------------------------------------------------

  /**
   * Learns from the server of conversations started during the run (also those whose reply was
   * lost) and of everyone who joined a group since.
   */
  async refreshConversations(): Promise<void> {
    if (!this.server.up) return;
    for (const user of this.users) {
      for (const conversation of await allConversationsOf(this.store, user.id)) {
        const known = this.conversations.find((candidate) => candidate.id === conversation.id);
        const memberIds = [...conversation.members.map((member) => member.id), user.id];
        if (!known) this.conversations.push({ id: conversation.id, kind: conversation.kind, memberIds: [...new Set(memberIds)] });
        else for (const id of memberIds) if (!known.memberIds.includes(id)) known.memberIds.push(id);
      }
    }
  }

  /** Every conversation the server lists for a person (current and former ones), by id: what list_conversations answers. */
  async serverViewsOf(userId: string): Promise<Map<string, Conversation>> {
    const listed = await allConversationsOf(this.store, userId);
    return new Map(listed.map((conversation) => [conversation.id, conversation]));
  }

  /** What a person's envelope said, as the device of theirs that sealed it kept it (null when none did). */
  sentContent(senderId: string, conversationId: string, clientId: string): Content | null {
    for (const device of [...this.devices, ...this.gone.map((gone) => gone.device)]) {
      if (device.user.id !== senderId || !device.inspector) continue;
      const content = device.inspector.sentContent(conversationId, clientId);
      if (content) return content;
    }
    // A device lost before the server's acknowledgement reached it still holds the send in its
    // outbox (the server stored it all the same): what it sealed is read from there.
    for (const { device } of this.gone) {
      if (device.user.id !== senderId) continue;
      const mirror = Mirror.open(join(device.profileDir, MIRROR_FILE));
      try {
        const content = queuedContent(mirror, clientId);
        if (content) return content;
      } finally {
        mirror.close();
      }
    }
    return null;
  }

  /** A read-only look at the server's database (whole logs); close it after use. */
  serverInspector(): ServerInspector {
    return new ServerInspector(join(this.root, 'server', SERVER_DATABASE_FILE));
  }

  sampleWatermarks(): void {
    for (const device of this.devices)
      if (device.inspector) this.history.sampleWatermarks(device.name, device.inspector.watermarks());
  }

  async dispose(): Promise<void> {
    // Everything is killed first, so no code of the run goes on. The cores (those that crashed
    // during it too) are closed only then, for their SQLite handles: garbage collection does not
    // release them, and thousands of runs in one process would run out of file descriptors.
    const everyDevice = [...this.devices, ...this.gone.map((gone) => gone.device)];
    for (const device of everyDevice) {
      this.scheduler.kill(device.lifetime);
      device.inspector?.close();
    }
    this.server.kill();
    await settleMicrotasks();
    for (const core of new Set([...this.crashed, ...everyDevice.map((device) => device.core)])) {
      await core?.close().catch(() => undefined);
    }
    if (this.server.up) await this.store.close();
    rmSync(this.root, { recursive: true, force: true });
  }

  // -- nodes -----------------------------------------------------------------------------------

  private get store(): SqliteServerStore {
    return this.server.store;
  }

  /** With SIM_TRACE=1, what a device's core logs, in the trace beside its frames. */
  private traceLogger(name: string): Logger {
    const line = (level: string) => (message: string, fields?: LogFields) =>
      this.trace(`${name} ${level} ${message} ${JSON.stringify(fields ?? {})}`);
    return { error: line('ERROR'), warn: line('WARN'), info: line('INFO'), debug: line('DEBUG') };
  }

  private async openCore(device: SimDevice): Promise<void> {
    device.lives += 1;
    device.lifetime = { name: `${device.name}#${device.lives}`, alive: true };
    const runtime = this.scheduler.runtimeFor(device.lifetime, this.random.fork());
    device.core = await openClientCore(
      {
        profileDir: device.profileDir,
        defaultServerUrl: SERVER_URL,
        deviceName: device.name,
        runtime,
        ...(process.env.SIM_TRACE ? { logger: this.traceLogger(device.name) } : {}),
      },
      {
        transport: this.network.transportFor(device.name, device.lifetime),
        uploadTransport: this.uploads.transportFor(device.name, device.lifetime),
        // Sessions and the history a linking device hands over; the steps attach plain files,
        // which download on request only.
        fetch: this.http.fetchFor(device.name, device.lifetime),
        opening: { threads: 0, minimum: Infinity },
      },
    );
    device.inspector ??= new MirrorInspector(join(device.profileDir, MIRROR_FILE));
  }
}
