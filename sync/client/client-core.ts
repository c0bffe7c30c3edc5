import { callsApi, type CallsApi } from './api-parts/calls.js';
import { identityApi, type IdentityApi } from './api-parts/identity.js';
import { personalSettingsApi, type PersonalSettingsApi } from './api-parts/personal-settings.js';
import type { Composing } from './api-parts/composing.js';
import { disappearingApi, type DisappearingApi } from './api-parts/disappearing.js';
import { locationsApi, type LocationsApi } from './api-parts/locations.js';
import { pollsApi, type PollsApi } from './api-parts/polls.js';
import { stickersAndGifsApi, type StickersAndGifsApi } from './api-parts/stickers-and-gifs.js';
import { SessionCalls } from './calls/session-calls.js';
import { join } from 'node:path';
import {
  AppApiError,
  type AboutView,
  type ActivityView,
  type AppApiArgs,
  type AttachmentLimits,
  type AppEvent,
  type ConversationInfo,
  type ConversationSummary,
  type CoreState,
  type Defaults,
  type EditHistoryEntry,
  type LinkPreviewView,
  type MessageInfo,
  type LastAccount,
  type MessagePage,
  type MessageView,
  type PinnedMessageView,
  type EndedSessions,
  type SearchResult,
  type SessionInfo,
  type SessionView,
} from '../app-api/contract.js';
import { type OutboxListing } from '../app-api/outbox-api.js';
import type { Preferences } from '../app-api/preferences.js';
import { errorFields, SILENT_LOGGER, type Logger } from '../common/logger.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import { ATTACHMENT_LIMITS } from '../protocol/attachments.js';
import {
  endedSessionsResponse,
  OTHER_SESSIONS_PATH,
  PASSWORD_PATH,
  SESSIONS_PATH,
  sessionListResponse,
  type SessionResponse,
  type User,
} from '../protocol/frames.js';
import type { z } from 'zod';
import { createLinkPreviewFetcher } from '../node/link-preview/fetcher.js';
import { ensurePrivateDir } from '../node/private-files.js';
import { realRuntime } from '../node/real-runtime.js';
import { requestSession, revokeSession, sessionRequest } from './accounts-http.js';
import { BlobStore } from './attachments/blob-store.js';
import { AccountKeyring } from './crypto/account-keyring.js';
import { DeviceLinking } from './crypto/device-linking.js';
import { HistoryTransfer, historyHandOver } from './history-transfer.js';
import { composeAttachments } from './attachments/compose-attachments.js';
import { AttachmentTransfers, collectAttachmentGarbage } from './attachments/transfers.js';
import { nodeUploadTransport, type UploadTransport } from './attachments/uploader.js';
import type { ClientCore, ClientCoreOptions, HostVersions, LinkPreviewFetcher } from './client-core-types.js';
import { changedPreferences, PreferencesStore, reportTo } from './preferences-store.js';
import { PersonalSettings } from './personal-settings.js';
import { answerRequest } from './request-answers.js';
import { Composer } from './composer.js';
import type { Content } from '../content/content.js';
import { ExpiryTimer } from './disappearing-timer.js';
import { RequestError } from './connection.js';
import { Mirror, type StoredSession } from './mirror/mirror.js';
import { OUTBOX_ROW_KINDS, type OutboxGroupChange } from './mirror/outbox-store.js';
import { OutboxInspector } from './outbox-inspector.js';
import { SearchIndexer } from './search-indexer.js';
import { parseServerAddress, type ServerAddress } from './server-address.js';
import type { OpeningOptions } from './crypto/device-crypto.js';
import { SyncEngine } from './sync-engine.js';
import type { SyncTransport } from './transport.js';
import { wsTransport } from './ws-transport.js';
import { Gifs } from './gifs.js';
import { StickerPacks } from './stickers/sticker-packs.js';
import { LiveLocationTimer } from './live-location-timer.js';

export const MIRROR_FILE = 'mirror.sqlite';
/** What retryChange may put back in the queue: every refused change but a send (retryMessage), from the one list of kinds. */
const RETRYABLE_CHANGES = OUTBOX_ROW_KINDS.filter((kind) => kind !== 'send');
const DEFAULT_PAGE = 200;
const DEFAULT_SEARCH_RESULTS = 50;

export interface ClientCoreDependencies {
  transport?: SyncTransport;
  /** Account requests and attachment downloads. */
  fetch?: typeof globalThis.fetch;
  uploadTransport?: UploadTransport;
  /**
   * How envelopes are opened (DeviceCrypto's default: worker threads for long runs). The
   * simulation opens all on its one thread: when a worker answers must not decide a run's outcome.
   */
  opening?: OpeningOptions;
}

/** Opens a profile: its mirror, and (when signed in) the sync engine. */
export async function openClientCore(options: ClientCoreOptions, dependencies: ClientCoreDependencies = {}): Promise<ClientCore> {
  ensurePrivateDir(options.profileDir);
  // Before the mirror: --offline holds before the engine (started with the core) could connect.
  const preferences = PreferencesStore.open(options.profileDir, {
    workOffline: options.workOffline === true,
    onProblem: reportTo(options.logger),
  });
  const mirror = Mirror.open(join(options.profileDir, MIRROR_FILE), {
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    ...(options.mirrorKey ? { key: options.mirrorKey } : {}),
  });
  // Start fresh after a damaged mirror: what was salvaged of its outbox is queued again (mirror-recovery.ts).
  if (options.restoreOutbox) mirror.restoreSalvaged(options.restoreOutbox);
  const runtime = options.runtime ?? realRuntime();
  // The clock and the device id (made once, from the injected randomness) of its settings writes.
  mirror.settings.useRuntime(runtime);
  mirror.disappearing.useClock(runtime.clock);
  const blobs = new BlobStore(options.profileDir, mirror.fileKeys);
  options.onFileKeys?.(mirror.fileKeys);
  // In the background: nothing waits for it, and a core closed meanwhile just ends it early.
  collectAttachmentGarbage(mirror, blobs, runtime.clock.now()).catch(() => undefined);
  const core = new LocalClientCore(
    mirror,
    preferences,
    blobs,
    options.defaultServerUrl,
    runtime,
    dependencies.transport ?? wsTransport,
    dependencies.fetch ?? globalThis.fetch,
    dependencies.uploadTransport ?? nodeUploadTransport,
    options.linkPreviews ?? createLinkPreviewFetcher(),
    options.deviceName ?? defaultDeviceName(process.platform),
    options.logger ?? SILENT_LOGGER,
    hostVersionsOf(options),
    new AccountKeyring(options.profileDir, options.mirrorKey ?? null, runtime, options.logger ?? SILENT_LOGGER),
    dependencies.opening,
    options.onDiskFull,
  );
  return Object.assign(core, core.apiParts());
}

/** The host's versions, or what the core can tell by itself when the host gave none (tests, tools). */
export function hostVersionsOf(options: Pick<ClientCoreOptions, 'hostVersions'>): HostVersions {
  return options.hostVersions ?? { app: 'unknown', electron: null, chromium: null, node: process.versions.node };
}

/** How the list of sessions names a device whose host gave no name. */
export function defaultDeviceName(platform: NodeJS.Platform): string {
  const systems: Partial<Record<NodeJS.Platform, string>> = { darwin: 'macOS', win32: 'Windows', linux: 'Linux' };
  return `Messenger on ${systems[platform] ?? platform}`;
}

/** The parts of the app API that live in their own modules (LocalClientCore.apiParts). */
type ApiParts = CallsApi & IdentityApi & PersonalSettingsApi & PollsApi & LocationsApi & DisappearingApi & StickersAndGifsApi;

/** How long after opening the mirror its checkpoint worker starts. */
const CHECKPOINT_WORKER_DELAY_MS = 2_000;

/** The app API implemented over the mirror and the sync engine, but for the parts openClientCore spreads in. */
class LocalClientCore implements Omit<ClientCore, keyof ApiParts> {
  private readonly listeners = new Set<(event: AppEvent) => void>();
  private engine: SyncEngine | null = null;
  /** Linking this device or others, for the signed-in account (crypto/device-linking.ts). */
  private linking: DeviceLinking | null = null;
  private transfers: AttachmentTransfers | null = null;
  /** This device's calls, one-to-one and in groups, for the signed-in account (calls/session-calls.ts). */
  private calls: SessionCalls | null = null;
  private session: StoredSession | null;
  private readonly settings: PersonalSettings;
  private readonly searchIndexer: SearchIndexer;
  /** Until it fires, commits checkpoint the mirror themselves (see startCheckpointWorker). */
  private checkpointWorkerTimer: TimerHandle | null = null;
  /** The one timer of disappearing messages, to the earliest expiry. */
  private readonly expiry: ExpiryTimer;
  private readonly gifs: Gifs;
  private readonly stickerPacks: StickerPacks;
  /** Live locations this device shares: their newest fix, sent at most every 15 s. */
  private readonly liveLocations: LiveLocationTimer;

  constructor(
    private readonly mirror: Mirror,
    private readonly preferences: PreferencesStore,
    private readonly blobs: BlobStore,
    private readonly defaultServerUrl: string,
    private readonly runtime: Runtime,
    private readonly transport: SyncTransport,
    private readonly networkFetch: typeof globalThis.fetch,
    private readonly uploadTransport: UploadTransport,
    private readonly linkPreviews: LinkPreviewFetcher,
    private readonly deviceName: string,
    private readonly log: Logger,
    private readonly hostVersions: HostVersions,
    private readonly keyring: AccountKeyring,
    private readonly opening: OpeningOptions | undefined,
    private readonly onDiskFull?: () => void,
  ) {
    // First: every event may reconcile the packs installed on other devices (emit).
    this.stickerPacks = new StickerPacks({
      mirror,
      blobs,
      random: runtime.random,
      clock: runtime.clock,
      remember: (conversationId, messageId, packId) => this.settings.setStickerPack(conversationId, messageId, packId),
      download: (conversationId, messageId, index) => {
        if (this.mirror.attachments.requestDownload({ conversationId, messageId, index })) this.transfers?.kick();
      },
      installedFromSync: () => this.emit({ type: 'settings', conversationIds: [] }),
      log: this.log,
    });
    this.settings = new PersonalSettings(mirror, (event) => this.emit(event));
    this.searchIndexer = new SearchIndexer(
      mirror.search,
      runtime.timers,
      () => this.engine?.isCatchingUp ?? false,
      (error) => this.log.warn('indexing new messages for search failed; retried after the next write', errorFields(error)),
    );
    mirror.search.onPending(() => this.searchIndexer.kick());
    // A safety number change noticed anywhere (a decryption, a look at the number) shows where it was noted.
    mirror.identityTrust.onNotices((conversationIds) => conversationIds.forEach((id) => this.changed(id)));
    // What an earlier run wrote but did not get to index.
    this.searchIndexer.kick();
    this.session = mirror.session();
    this.expiry = new ExpiryTimer({
      mirror,
      runtime,
      discardFile: (sha256) => blobs.discard(sha256),
      onExpired: (conversationIds) => conversationIds.forEach((id) => this.changed(id)),
      selfId: () => this.session?.user.id ?? null,
      log,
    });
    this.liveLocations = new LiveLocationTimer({
      runtime,
      send: (conversationId, messageId, point, at) => {
        this.composer().moveLocation(conversationId, messageId, point, at);
        this.outboxChanged(conversationId);
      },
      failed: (error) => log.warn('a live location move was not sent', errorFields(error)),
    });
    // Before anything is shown: what expired while the app was closed never appears.
    this.expiry.sweep();
    this.gifs = new Gifs({
      fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) => this.fetchImpl(input, init),
      session: () =>
        this.session?.token ? { httpBase: this.address(this.session.serverUrl).httpBase, token: this.session.token } : null,
      blobs,
    });
    this.checkpointWorkerTimer = runtime.timers.setTimeout(() => this.startCheckpointWorker(), CHECKPOINT_WORKER_DELAY_MS);
    this.log.info('client core opened', { signedIn: Boolean(this.session?.token), ...mirror.versions() });
    if (this.session?.token) this.startEngine(this.session);
    void this.revokeEndedSessions();
  }

  /** The parts of the app API that live in their own modules, over this core's pieces. */
  apiParts(): ApiParts {
    const { mirror, keyring, settings, blobs, liveLocations, stickerPacks, gifs } = this;
    const files = {
      maxFileBytes: async () => (await this.getAttachmentLimits()).maxFileBytes,
      filesQueued: () => this.transfers?.kick(),
    };
    const composing: Composing = {
      signedIn: (conversationId) => {
        const { id } = this.self();
        if (conversationId !== undefined) this.requireConversation(conversationId);
        return id;
      },
      composer: (conversationId) => {
        composing.signedIn(conversationId);
        return this.composer();
      },
      queue: (conversationId, write) => {
        write(composing.composer(conversationId));
        this.outboxChanged(conversationId);
        return null;
      },
      send: (conversationId, write, stored) => {
        composing.signedIn(conversationId);
        return this.sendComposed(conversationId, write, stored ? { stored } : {});
      },
    };
    return {
      ...callsApi(() => this.calls),
      ...pollsApi(composing),
      ...disappearingApi(composing),
      ...locationsApi({
        composing,
        clock: this.runtime.clock,
        blobs,
        liveLocations,
        tiles: { fetch: this.fetchImpl, template: () => this.preferences.current.mapTileUrl },
        ...files,
      }),
      ...stickersAndGifsApi({ composing, stickerPacks, gifs, blobs, ...files }),
      ...personalSettingsApi({
        settings,
        self: () => this.self(),
        requireConversation: (conversationId) => this.requireConversation(conversationId),
      }),
      ...identityApi({
        mirror,
        keyring,
        clock: this.runtime.clock,
        selfId: () => this.self().id,
        engine: () => this.engine,
        linking: () => this.linking,
        restored: () => {
          if (!this.session) return;
          this.stopEngine();
          this.startEngine(this.session);
        },
      }),
    };
  }

  subscribe(listener: (event: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A worker thread checkpoints the mirror's WAL from now on, so no commit of a message sent or
   * received waits for that (Mirror.checkpointInBackground). Started after the first screen:
   * starting a thread with the driver and the key takes CPU that a cold start needs.
   */
  private startCheckpointWorker(): void {
    this.checkpointWorkerTimer = null;
    this.mirror.checkpointInBackground((error) =>
      this.log.warn('checkpointing the mirror in the background stopped; commits checkpoint it', errorFields(error)),
    );
  }

  async close(): Promise<void> {
    this.log.info('client core closing');
    if (this.checkpointWorkerTimer) this.runtime.timers.clearTimeout(this.checkpointWorkerTimer);
    this.checkpointWorkerTimer = null;
    this.stopEngine();
    this.expiry.stop();
    this.liveLocations.stopAll();
    this.searchIndexer.stop();
    this.mirror.search.onPending(null);
    this.mirror.identityTrust.onNotices(null);
    this.listeners.clear();
    await this.mirror.stopBackgroundCheckpoints();
    this.mirror.close();
  }

  // -- session -------------------------------------------------------------------------------

  async getDefaults(): Promise<Defaults> {
    const lastAccount = this.preferences.lastAccount();
    return { serverUrl: this.defaultServerUrl, ...(lastAccount ? { lastAccount } : {}) };
  }

  async getSession(): Promise<SessionInfo | null> {
    return this.session?.token ? { serverUrl: this.session.serverUrl, user: this.session.user } : null;
  }

  async createAccount(args: AppApiArgs<'createAccount'>): Promise<SessionInfo> {
    const address = this.address(args.serverUrl);
    this.refuseIfAnotherAccountHasUnsent(address, null);
    const response = await requestSession(this.fetchImpl, address.httpBase, 'create', {
      username: args.username,
      displayName: args.displayName,
      password: args.password,
      deviceName: this.deviceName,
    });
    await this.keyring.createForNewAccount(response.user.id, args.password);
    return this.adopt(address, response);
  }

  async logIn(args: AppApiArgs<'logIn'>): Promise<SessionInfo> {
    const address = this.address(args.serverUrl);
    const username = args.username.trim().toLowerCase();
    this.refuseIfAnotherAccountHasUnsent(address, username);
    const response = await requestSession(this.fetchImpl, address.httpBase, 'login', {
      username,
      password: args.password,
      deviceName: this.deviceName,
    });
    await this.keyring.rememberPassword(response.user.id, args.password);
    return this.adopt(address, response);
  }

  /**
   * Signs out at once, online or not. The token is revoked on the server now if it answers,
   * otherwise the next time this core reaches a server (see revokeEndedSessions).
   */
  async logOut(): Promise<null> {
    this.log.info('signing out', { userId: this.session?.user.id });
    this.stopEngine();
    // The mirror and the outbox stay: logging in again as the same person sends what is queued.
    const ended = this.mirror.session();
    if (ended?.token) this.mirror.endSession(this.address(ended.serverUrl).httpBase);
    else this.mirror.forgetToken();
    this.session = this.mirror.session();
    this.emit({ type: 'session', session: null });
    void this.revokeEndedSessions();
    return null;
  }

  async listSessions(): Promise<SessionView[]> {
    const sessions = await this.sessionRequest({ method: 'GET', path: SESSIONS_PATH }, sessionListResponse);
    return (sessions?.sessions ?? []).map(({ id, deviceName, lastUsedAt, current }) => ({ id, deviceName, lastUsedAt, current }));
  }

  async endSession(args: AppApiArgs<'endSession'>): Promise<null> {
    await this.sessionRequest({ method: 'DELETE', path: `${SESSIONS_PATH}/${encodeURIComponent(args.sessionId)}` }, null);
    this.devicesUnlinked(1);
    return null;
  }

  async endOtherSessions(): Promise<EndedSessions> {
    const ended = (await this.sessionRequest({ method: 'DELETE', path: OTHER_SESSIONS_PATH }, endedSessionsResponse)) ?? {
      ended: 0,
    };
    this.devicesUnlinked(ended.ended);
    return ended;
  }

  /** Devices of this account were signed out ("Unlink", "End session"): what this device seals next is under new keys. */
  private devicesUnlinked(count: number): void {
    if (count > 0) this.mirror.signal.retireSenderKeys();
  }

  async changePassword(args: AppApiArgs<'changePassword'>): Promise<EndedSessions> {
    const body = { currentPassword: args.currentPassword, newPassword: args.newPassword };
    const ended = (await this.sessionRequest({ method: 'PUT', path: PASSWORD_PATH, body }, endedSessionsResponse)) ?? {
      ended: 0,
    };
    await this.keyring.rememberPassword(this.self().id, args.newPassword);
    this.devicesUnlinked(ended.ended);
    return ended;
  }

  /** A request about this account's sessions, with this device's token. */
  private sessionRequest<T>(request: Parameters<typeof sessionRequest>[3], schema: z.ZodType<T> | null): Promise<T | null> {
    const session = this.session;
    if (!session?.token) throw new AppApiError('not_signed_in', 'Sign in first.');
    return sessionRequest(this.fetchImpl, this.address(session.serverUrl).httpBase, session.token, request, schema);
  }

  /** Asks the server to revoke every token signed out of here that it has not revoked yet; keeps those it could not. */
  private async revokeEndedSessions(): Promise<void> {
    try {
      for (const { httpBase, token } of this.mirror.revocations.pending()) {
        if ((await revokeSession(this.fetchImpl, httpBase, token)) === 'revoked') this.mirror.revocations.done(token);
      }
    } catch (error) {
      // Kept for the next try. A core closed meanwhile (the mirror with it) is no news.
      if (this.mirror.isOpen) this.log.warn('could not revoke signed-out sessions', errorFields(error));
    }
  }

  async getConnectionState() {
    return this.engine?.connectionState ?? 'offline';
  }

  // -- this device's preferences -------------------------------------------------------------

  async getPreferences(): Promise<Preferences> {
    return this.preferences.current;
  }

  async setPreferences(change: AppApiArgs<'setPreferences'> = {}): Promise<Preferences> {
    const before = this.preferences.current;
    const after = this.preferences.change(change);
    const changed = changedPreferences(before, after);
    if (changed.includes('workOffline')) this.workOfflineChanged(after.workOffline);
    if (changed.length > 0) this.emit({ type: 'preferences' });
    return after;
  }

  /** Work offline: the connection and the transfers stop or start now; HTTP requests are refused meanwhile (fetchImpl). */
  private workOfflineChanged(on: boolean): void {
    this.engine?.setWorkOffline(on);
    if (on) this.transfers?.interrupt();
    // Back online: a good moment to revoke what was signed out of meanwhile.
    else void this.revokeEndedSessions();
  }

  /**
   * Every HTTP request the core makes (signing in, sessions, revocations, downloads): while working
   * offline it fails as it would with no network, so each caller says "offline" as it always does.
   */
  private readonly fetchImpl: typeof globalThis.fetch = (input, init) =>
    this.preferences.current.workOffline
      ? Promise.reject(new TypeError('fetch failed: working offline'))
      : this.networkFetch(input, init);

  /** Open normally; recovering-core.ts answers for a mirror that could not be opened, and for a full disk. */
  async getCoreState(): Promise<CoreState> {
    return { kind: 'ready', diskFull: false, settingsFull: this.engine?.settingsFull ?? false };
  }

  async getAbout(): Promise<AboutView> {
    return { ...this.hostVersions, ...this.mirror.versions() };
  }

  async startFresh(): Promise<null> {
    throw new AppApiError('conflict', 'The messages on this device opened normally; there is nothing to start afresh from.');
  }

  probeWrite(): void {
    this.mirror.probeWrite(this.runtime.clock.now());
    // Whatever waited for the disk (the queue's own bookkeeping) may go on now.
    this.engine?.outboxChanged();
  }

  // -- conversations and messages ------------------------------------------------------------

  async listConversations(args: AppApiArgs<'listConversations'> = {}): Promise<ConversationSummary[]> {
    const self = this.self();
    const folder = args.folder ?? 'main';
    if (args.limit === undefined) return this.mirror.views.conversationSummaries(self.id, undefined, folder);
    return this.mirror.views.conversationPage(self.id, args.limit, args.after, folder);
  }

  async startConversation(args: AppApiArgs<'startConversation'>): Promise<ConversationSummary> {
    const self = this.self();
    const peer = await this.lookUp(args.username);
    // Starting it yourself accepts a request the other person made first.
    const conversationId = this.mirror.transaction(() => {
      const id = this.composer().startDirect(peer);
      this.settings.acceptIfRequest(id);
      return id;
    });
    this.outboxChanged(conversationId);
    return this.summary(self.id, conversationId);
  }

  async findUser(args: AppApiArgs<'findUser'>): Promise<User> {
    this.self();
    return this.lookUp(args.username);
  }

  async createGroup(args: AppApiArgs<'createGroup'>): Promise<ConversationSummary> {
    const self = this.self();
    const members = args.memberIds.map((userId) => {
      const user = this.mirror.user(userId);
      if (!user) throw new AppApiError('not_found', 'Add people by their username first.');
      return user;
    });
    const conversationId = this.composer().createGroup(args.name.trim(), members);
    this.outboxChanged(conversationId);
    return this.summary(self.id, conversationId);
  }

  async getConversationInfo(args: AppApiArgs<'getConversationInfo'>): Promise<ConversationInfo> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    const info = this.mirror.views.conversationInfo(args.conversationId, self.id, (userId) => this.isOnline(userId));
    if (!info) throw new AppApiError('not_found', 'That conversation does not exist.');
    return info;
  }

  async addMembers(args: AppApiArgs<'addMembers'>): Promise<null> {
    for (const userId of args.userIds) {
      if (!this.mirror.user(userId)) throw new AppApiError('not_found', 'Add people by their username first.');
    }
    return this.changeGroup(args.conversationId, { kind: 'add_members', userIds: args.userIds });
  }

  async removeMember(args: AppApiArgs<'removeMember'>): Promise<null> {
    return this.changeGroup(args.conversationId, { kind: 'remove_member', userId: args.userId });
  }

  async leaveGroup(args: AppApiArgs<'leaveGroup'>): Promise<null> {
    return this.changeGroup(args.conversationId, { kind: 'leave' });
  }

  async renameGroup(args: AppApiArgs<'renameGroup'>): Promise<null> {
    return this.changeGroup(args.conversationId, { kind: 'rename', name: args.name.trim() });
  }

  async setRole(args: AppApiArgs<'setRole'>): Promise<null> {
    return this.changeGroup(args.conversationId, { kind: 'set_role', userId: args.userId, role: args.role });
  }

  async getMessageInfo(args: AppApiArgs<'getMessageInfo'>): Promise<MessageInfo> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    const info = this.mirror.views.messageInfo(args.conversationId, args.messageId, self.id);
    if (!info) throw new AppApiError('not_found', 'That message is not in this conversation.');
    return info;
  }

  async listMessages(args: AppApiArgs<'listMessages'>): Promise<MessagePage> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    const page = this.mirror.views.messagePage(args.conversationId, self.id, args.limit ?? DEFAULT_PAGE, {
      beforeSeq: args.beforeSeq,
      afterSeq: args.afterSeq,
      aroundMessageId: args.aroundMessageId,
      aroundSeq: args.aroundSeq,
    });
    this.transfers?.tracker.apply(page.messages);
    return page;
  }

  async sendMessage(args: AppApiArgs<'sendMessage'>): Promise<MessageView> {
    this.self();
    this.requireConversation(args.conversationId);
    const inputs = args.attachments ?? [];
    // Files are checked on disk first; a text alone waits for nothing but its seal.
    const attachments =
      inputs.length === 0 ? [] : await composeAttachments(this.blobs, inputs, (await this.getAttachmentLimits()).maxFileBytes);
    const text = args.text.trim();
    const replyTo = args.replyTo ?? null;
    const linkPreview = args.linkPreview ?? null;
    // The conversation's draft is emptied in the send's transaction (the settings sync sends that).
    const view = await this.sendComposed(
      args.conversationId,
      (composer) => composer.send(args.conversationId, text, replyTo, attachments, linkPreview),
      { content: this.composer().sealableText(args.conversationId, text, replyTo, attachments, linkPreview) },
    );
    if (attachments.length > 0) this.transfers?.kick(); // a text alone brings no file to upload
    return view;
  }

  async forwardMessage(args: AppApiArgs<'forwardMessage'>): Promise<MessageView[]> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    const targets = [...new Set(args.toConversationIds)];
    const messageIds = this.mirror.transaction(() => {
      for (const conversationId of targets) this.settings.acceptIfRequest(conversationId);
      return this.composer().forward(args.conversationId, args.messageId, args.toConversationIds);
    });
    for (const conversationId of targets) this.outboxChanged(conversationId);
    // Images it carries that are not here yet are fetched by themselves.
    this.transfers?.kick();
    const views = targets.map((conversationId, index) => {
      const view = this.mirror.views.messageView(conversationId, messageIds[index] ?? '', self.id);
      if (!view) throw new AppApiError('internal', 'The forwarded message was not stored.');
      return view;
    });
    return this.transfers?.tracker.apply(views) ?? views;
  }

  async searchMessages(args: AppApiArgs<'searchMessages'>): Promise<SearchResult[]> {
    const self = this.self();
    return this.mirror.search.search(args.query, self.id, args.limit ?? DEFAULT_SEARCH_RESULTS);
  }

  async getAttachmentLimits(): Promise<AttachmentLimits> {
    return { maxFileBytes: this.mirror.attachments.serverLimits()?.maxFileBytes ?? ATTACHMENT_LIMITS.defaultMaxFileBytes };
  }

  async downloadAttachment(args: AppApiArgs<'downloadAttachment'>): Promise<null> {
    this.self();
    this.requireConversation(args.conversationId);
    if (!this.mirror.attachments.requestDownload(args)) {
      throw new AppApiError('not_found', 'That message has no such attachment to download.');
    }
    this.changed(args.conversationId);
    this.transfers?.kick();
    return null;
  }

  async editMessage(args: AppApiArgs<'editMessage'>): Promise<null> {
    this.requireConversation(args.conversationId);
    this.composer().edit(args.conversationId, args.messageId, args.text.trim());
    this.outboxChanged(args.conversationId);
    return null;
  }

  async deleteMessage(args: AppApiArgs<'deleteMessage'>): Promise<null> {
    this.requireConversation(args.conversationId);
    this.composer().delete(args.conversationId, args.messageId);
    this.outboxChanged(args.conversationId);
    return null;
  }

  async setReaction(args: AppApiArgs<'setReaction'>): Promise<null> {
    this.requireConversation(args.conversationId);
    this.composer().react(args.conversationId, args.messageId, args.emoji, args.on);
    this.outboxChanged(args.conversationId);
    return null;
  }

  async getEditHistory(args: AppApiArgs<'getEditHistory'>): Promise<EditHistoryEntry[]> {
    this.self();
    this.requireConversation(args.conversationId);
    return this.mirror.views.editHistory(args.conversationId, args.messageId);
  }

  async retryMessage(args: AppApiArgs<'retryMessage'>): Promise<null> {
    const conversationId = this.mirror.retryFailedSend(args.messageId, this.self().id);
    if (!conversationId) throw new AppApiError('not_found', 'There is no failed message with that id.');
    this.outboxChanged(conversationId);
    this.transfers?.kick();
    return null;
  }

  async discardMessage(args: AppApiArgs<'discardMessage'>): Promise<null> {
    const conversationId = this.mirror.discardFailedSend(args.messageId, this.self().id);
    if (!conversationId) throw new AppApiError('not_found', 'There is no failed message with that id.');
    this.outboxChanged(conversationId);
    return null;
  }

  async retryChange(args: AppApiArgs<'retryChange'>): Promise<null> {
    this.self();
    const conversationId = this.mirror.outbox.requeueFailed(args.changeId, RETRYABLE_CHANGES);
    if (!conversationId) throw new AppApiError('not_found', 'There is no refused change with that id.');
    this.outboxChanged(conversationId);
    return null;
  }

  async discardChange(args: AppApiArgs<'discardChange'>): Promise<null> {
    this.self();
    const conversationId = this.mirror.outbox.discardFailedChange(args.changeId);
    if (!conversationId) throw new AppApiError('not_found', 'There is no refused change with that id.');
    this.outboxChanged(conversationId);
    return null;
  }

  // -- the outbox inspector ------------------------------------------------------------------

  async listOutbox(): Promise<OutboxListing> {
    return this.outboxInspector().list();
  }

  async retryOutboxItem(args: AppApiArgs<'retryOutboxItem'>): Promise<null> {
    return this.outboxInspector().retry(args.id);
  }

  async discardOutboxItem(args: AppApiArgs<'discardOutboxItem'>): Promise<null> {
    return this.outboxInspector().discard(args.id);
  }

  private outboxInspector(): OutboxInspector {
    const self = this.self();
    return new OutboxInspector({
      mirror: this.mirror,
      selfId: self.id,
      now: () => this.runtime.clock.now(),
      online: () => this.engine?.connectionState === 'online',
      isInFlight: (clientId) => this.engine?.isInFlight(clientId) ?? false,
      // Refused rows go back or away exactly as from the conversation (retryMessage and its kin).
      retryRefused: (entry) =>
        entry.kind === 'send'
          ? this.retryMessage({ messageId: entry.messageId })
          : this.retryChange({ changeId: entry.clientId }),
      discardRefused: (entry) =>
        entry.kind === 'send'
          ? this.discardMessage({ messageId: entry.messageId })
          : this.discardChange({ changeId: entry.clientId }),
      sendNow: (conversationId) => {
        this.changed(conversationId);
        this.engine?.retryNow();
        this.transfers?.kick();
      },
      outboxChanged: (conversationId) => this.outboxChanged(conversationId),
    });
  }

  async markRead(args: AppApiArgs<'markRead'>): Promise<null> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    const before = this.mirror.ownWatermarks(args.conversationId, self.id).readSeq;
    const readSeq = this.mirror.markReadLocally(args.conversationId, self.id, args.upToSeq);
    if (readSeq > before && this.mirror.disappearing.passesTimed(args.conversationId, self.id, before, readSeq)) {
      // Their other devices start these timers from now too, however late they catch up.
      const readAt = {
        kind: 'read_at' as const,
        conversationId: args.conversationId,
        upToSeq: readSeq,
        at: this.runtime.clock.now(),
      };
      try {
        this.engine?.sendToDevices([self.id], readAt);
      } catch (error) {
        this.log.warn('telling the other devices when this was read failed', errorFields(error));
      }
    }
    this.emit({ type: 'conversations' });
    this.engine?.receiptsChanged();
    return null;
  }

  async setTyping(args: AppApiArgs<'setTyping'>): Promise<null> {
    this.self();
    this.requireConversation(args.conversationId);
    // Nobody hears you typing in a request you have not accepted (request-rules.ts).
    if (this.mirror.settings.requestStanding(args.conversationId) === 'none') this.engine?.sendTyping(args.conversationId);
    return null;
  }

  /** The page's preview, made here (receivers never contact the site); null on any failure, and while working offline. */
  async fetchLinkPreview(args: AppApiArgs<'fetchLinkPreview'>): Promise<LinkPreviewView | null> {
    if (this.preferences.current.workOffline) return null;
    try {
      return await this.linkPreviews.fetch(args.url);
    } catch {
      return null;
    }
  }

  /** A search result's preview for the host's gif gateway (bytes, so never over the app API). */
  gifBytes(id: string): Promise<Buffer> {
    this.self();
    return this.gifs.bytes(id, 'preview');
  }

  async getActivity(args: AppApiArgs<'getActivity'>): Promise<ActivityView> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    const activity = this.engine?.activity;
    const typing = (activity?.typingIn(args.conversationId) ?? [])
      .map((userId) => this.mirror.user(userId))
      .filter((user): user is User => user !== null);
    const peer = this.mirror.peerOf(args.conversationId);
    if (peer) return { typing, peerPresence: activity?.presenceOf(peer) ?? null, members: null };
    const members = this.mirror.members(args.conversationId);
    return {
      typing,
      peerPresence: null,
      members: {
        total: members.length,
        online: members.filter((member) => this.isOnline(member.userId) || member.userId === self.id).length,
      },
    };
  }

  // -- pins and message requests ------------------------------------------------------------

  async pinMessage(args: AppApiArgs<'pinMessage'>): Promise<null> {
    this.self();
    this.requireConversation(args.conversationId);
    this.composer().pin(args.conversationId, args.messageId, args.on);
    this.outboxChanged(args.conversationId);
    return null;
  }

  async listPinnedMessages(args: AppApiArgs<'listPinnedMessages'>): Promise<PinnedMessageView[]> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    return this.mirror.views.pinnedMessages(args.conversationId, self.id, this.runtime.clock.now());
  }

  async answerRequest(args: AppApiArgs<'answerRequest'>): Promise<null> {
    const self = this.self();
    this.requireConversation(args.conversationId);
    answerRequest(
      {
        mirror: this.mirror,
        settings: this.settings,
        self,
        leaveGroup: (conversationId) => this.composer().changeGroup(conversationId, { kind: 'leave' }),
      },
      args.conversationId,
      args.answer,
    );
    this.changed(args.conversationId);
    this.outboxChanged(args.conversationId);
    // Accepted: the receipts held back go out, and the files held back are fetched.
    this.engine?.receiptsChanged();
    this.transfers?.kick();
    return null;
  }

  // -- internals -----------------------------------------------------------------------------

  private address(serverUrl: string): ServerAddress {
    try {
      return parseServerAddress(serverUrl);
    } catch (error) {
      throw new AppApiError('invalid_argument', error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * One profile holds one account. Switching accounts clears the mirror, which must never throw
   * away messages still waiting to be sent.
   */
  private refuseIfAnotherAccountHasUnsent(address: ServerAddress, username: string | null): void {
    const previous = this.mirror.session();
    if (!previous) return;
    const sameAccount = previous.serverUrl === address.display && previous.user.username === username;
    if (!sameAccount && this.mirror.outbox.pendingCount() > 0) {
      throw new AppApiError(
        'conflict',
        `This profile still has unsent messages from @${previous.user.username}. Log in as @${previous.user.username} to send them first.`,
      );
    }
  }

  private adopt(address: ServerAddress, response: SessionResponse): SessionInfo {
    const previous = this.mirror.session();
    if (previous && (previous.user.id !== response.user.id || previous.serverUrl !== address.display)) {
      this.mirror.wipe();
    }
    this.stopEngine();
    this.session = { serverUrl: address.display, token: response.token, user: response.user };
    this.mirror.saveSession(this.session);
    this.log.info('signed in', { userId: response.user.id, server: address.display });
    this.rememberAccount({ serverUrl: address.display, username: response.user.username });
    this.startEngine(this.session);
    // The server answered just now: a good moment to revoke what was signed out of offline.
    void this.revokeEndedSessions();
    const info = { serverUrl: this.session.serverUrl, user: this.session.user };
    this.emit({ type: 'session', session: info });
    this.emit({ type: 'conversations' });
    return info;
  }

  /** Offered on the sign-in screen next time; signing in does not fail for want of it (a full disk). */
  private rememberAccount(account: LastAccount): void {
    try {
      this.preferences.rememberAccount(account);
    } catch (error) {
      this.log.warn('could not note the account signed in on this device', errorFields(error));
    }
  }

  private startEngine(session: StoredSession): void {
    if (!session.token) return;
    const address = parseServerAddress(session.serverUrl);
    const transfers = new AttachmentTransfers({
      mirror: this.mirror,
      blobs: this.blobs,
      runtime: this.runtime,
      fetch: this.fetchImpl,
      uploadTransport: this.uploadTransport,
      httpBase: address.httpBase,
      token: session.token,
      emit: (event) => this.emit(event),
      onUploadSettled: () => this.engine?.outboxChanged(),
    });
    this.transfers = transfers;
    const history = new HistoryTransfer({
      mirror: this.mirror,
      fetch: this.fetchImpl,
      uploadTransport: this.uploadTransport,
      httpBase: address.httpBase,
      token: session.token,
      runtime: this.runtime,
    });
    const linking = new DeviceLinking(
      this.keyring,
      this.runtime,
      session.user.id,
      this.log,
      (linked) => {
        this.emit({ type: 'account_keys' });
        if (linked) this.engine?.startOver();
      },
      historyHandOver(history, session.user.id, this.log, () => {
        this.emit({ type: 'conversations' });
        this.engine?.startOver();
      }),
    );
    this.linking = linking;
    const calls = new SessionCalls({
      mirror: this.mirror,
      runtime: this.runtime,
      selfId: session.user.id,
      log: this.log,
      engine: () => this.engine,
      emit: (event) => this.emit(event),
      outboxChanged: (conversationId) => this.outboxChanged(conversationId),
    });
    this.calls = calls;
    this.engine = new SyncEngine({
      mirror: this.mirror,
      transport: this.transport,
      runtime: this.runtime,
      syncUrl: address.syncUrl,
      token: session.token,
      selfId: session.user.id,
      localIdentity: () => this.keyring.localIdentity(session.user.id),
      linking,
      keyBackup: () => this.keyring.backupSource(session.user.id),
      emit: (event) => {
        this.emit(event);
        // Transfers run while the connection is up; applied events may bring images to fetch.
        if (event.type === 'connection') transfers.setOnline(event.state === 'online');
        if (event.type === 'messages') transfers.kick();
      },
      onUnauthorized: () => {
        this.log.warn('the server ended this session');
        void this.logOut();
      },
      ...(this.onDiskFull ? { onDiskFull: this.onDiskFull } : {}),
      ...(this.opening ? { opening: this.opening } : {}),
      ephemeralOpened: (from, plaintext, to) => calls.opened(from, plaintext, to),
      log: this.log,
    });
    this.engine.setWorkOffline(this.preferences.current.workOffline);
    this.engine.start();
  }

  private stopEngine(): void {
    this.transfers?.stop();
    this.transfers = null;
    this.engine?.stop();
    this.engine = null;
    this.linking = null;
    this.calls?.stop();
    this.calls = null;
  }

  private self() {
    if (!this.session?.token) throw new AppApiError('not_signed_in', 'Log in first.');
    return this.session.user;
  }

  private composer(): Composer {
    const engine = this.engine;
    return new Composer(this.mirror, this.runtime, this.self().id, (clientId) => engine?.isInFlight(clientId) ?? false);
  }

  private changeGroup(conversationId: string, change: OutboxGroupChange): null {
    this.self();
    this.requireConversation(conversationId);
    this.composer().changeGroup(conversationId, change);
    this.outboxChanged(conversationId);
    return null;
  }

  /** Someone by username: known to this mirror (works offline), else asked of the server. */
  private async lookUp(typed: string): Promise<User> {
    const self = this.self();
    const username = typed.trim().replace(/^@/, '').toLowerCase();
    if (username === self.username) throw new AppApiError('refused', 'start_with_yourself');
    const known = this.mirror.userByUsername(username);
    if (known) return known;
    if (!this.engine) throw new AppApiError('not_signed_in', 'Log in first.');
    try {
      return await this.engine.findUser(username);
    } catch (error) {
      throw toAppError(error, username);
    }
  }

  private isOnline(userId: string): boolean {
    if (userId === this.session?.user.id) return this.engine?.connectionState === 'online';
    return this.engine?.activity.presenceOf(userId)?.online ?? false;
  }

  private summary(selfId: string, conversationId: string): ConversationSummary {
    const summary = this.mirror.views.conversationSummaries(selfId, conversationId)[0];
    if (!summary) throw new AppApiError('internal', 'The conversation was not stored.');
    return summary;
  }

  /**
   * Stores what `compose` writes and sends it with one commit; resolves once it is on the wire (or
   * waits for something else), so its seal and frame go ahead of the message's view and events.
   */
  private async queueAndSend<T>(conversationId: string, compose: () => T, content?: () => Content): Promise<T> {
    if (!this.engine) return compose();
    const { written, onWire } = this.engine.queueAndSend(conversationId, compose, content);
    await onWire;
    return written;
  }

  /**
   * Writes the message `write` composes in one transaction, in which writing in a message request
   * accepts it, and sends it (queueAndSend); answers its view. `stored` runs before anyone is told.
   */
  private async sendComposed(
    conversationId: string,
    write: (composer: Composer) => string,
    options: { content?: () => Content; stored?: (messageId: string) => void } = {},
  ): Promise<MessageView> {
    const selfId = this.self().id;
    const compose = () =>
      this.mirror.transaction(() => {
        this.settings.acceptIfRequest(conversationId);
        return write(this.composer());
      });
    const messageId = await this.queueAndSend(conversationId, compose, options.content);
    options.stored?.(messageId);
    this.changed(conversationId);
    const view = this.mirror.views.messageView(conversationId, messageId, selfId);
    if (!view) throw new AppApiError('internal', 'The message was not stored.');
    return this.transfers?.tracker.apply([view])[0] ?? view;
  }

  private outboxChanged(conversationId: string): void {
    this.changed(conversationId);
    this.engine?.outboxChanged();
  }

  private requireConversation(conversationId: string): void {
    if (!this.mirror.hasConversation(conversationId)) {
      throw new AppApiError('not_found', 'That conversation does not exist.');
    }
  }

  private changed(conversationId: string): void {
    this.emit({ type: 'messages', conversationId });
    this.emit({ type: 'conversations' });
    this.emit({ type: 'conversation_info', conversationId });
  }

  private emit(event: AppEvent): void {
    // The page is told first: what follows reads the mirror again and can wait that long.
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('An app event listener failed:', error);
      }
    }
    // Whatever changed messages or watermarks (a read elsewhere) may have started a timer that
    // ends sooner than the one armed.
    if (event.type === 'messages' || event.type === 'conversations') this.expiry.rearm();
    // A pack installed on another device, or its sticker message or bundle arriving, may install one here.
    if ((event.type === 'settings' || event.type === 'messages') && this.session?.token) {
      this.stickerPacks.reconcile(this.session.user.id);
    }
  }
}

function toAppError(error: unknown, username: string): AppApiError {
  if (error instanceof AppApiError) return error;
  if (error instanceof RequestError) {
    if (error.code === 'disconnected' || error.code === 'timeout') {
      return new AppApiError('offline', "You're offline. Starting a conversation needs a connection.");
    }
    if (error.code === 'not_found') return new AppApiError('not_found', `No one has the username @${username}.`);
    if (error.code === 'rate_limited') return new AppApiError('rate_limited', error.message);
    return new AppApiError('refused', error.message);
  }
  return new AppApiError('internal', error instanceof Error ? error.message : String(error));
}
