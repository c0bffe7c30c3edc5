import { mentions } from '../../common/mentions.js';
import { pollOf, purgeMessageState, storePoll } from './message-state.js';
import type { PollDefinition } from '../../common/polls.js';
import type { LocationDefinition } from '../../common/locations.js';
import { locationOf, storeLocation } from './location-state.js';
import { stickerOf, storeSticker } from './sticker-state.js';
import { StickerPackStore } from './sticker-pack-store.js';
import { LiveLocationsHere } from './live-locations-here.js';
import type { StickerDefinition } from '../../common/stickers.js';
import type { Content, OpenedContent } from '../../content/content.js';
import { refuseContent, type ContentRefusal } from '../../content/rules.js';
import { contentSender, contentTarget } from './content-facts.js';
import { envelopeEventSchema, type EnvelopeEvent } from '../../protocol/envelope-frames.js';
import { appliedClientIdOf, isNoticeEvent, type AppliedEvent } from '../../content/opened-events.js';
import type { Conversation, ConversationKind, LinkPreview, Role, User } from '../../protocol/frames.js';
import { startBackgroundCheckpoints, type BackgroundCheckpoints } from '../../node/background-checkpoints.js';
import { encryptPlainDatabase, isPlainDatabaseFile } from '../../node/database-key.js';
import { ensurePrivateFile, restrictFiles } from '../../node/private-files.js';
import {
  cachedStatement,
  cachedValueStatement,
  openDatabase,
  schemaVersion,
  type Db,
  type OpenOptions,
} from '../../node/sqlite.js';
import { noteComposed, recountUnread, refreshLastMessage } from './conversation-stats.js';
import { AttachmentStore, type ComposedAttachment } from './attachments.js';
import { SignalTables } from './signal-tables.js';
import { IdentityTrust } from './identity-trust.js';
import { ResendRequests } from './resend-requests.js';
import { SentContentStore } from './sent-content.js';
import { FileKeyStore } from './file-key-store.js';
import { MirrorHistory } from './history-export.js';
import { applyEvent, beginBatch, finishBatch } from './event-applier.js';
import { DisappearingStore, disappearingSettingOf, type DisappearingSetting } from './disappearing.js';
import { addLocalMembers, applySnapshot, refreshMembership, upsertUser } from './membership.js';
import { memberAtSeq } from './membership-notices.js';
import { MIRROR_MIGRATIONS } from './migrations.js';
import { isUnreadableDatabaseError, MirrorUnreadableError } from './mirror-unreadable.js';
import { OutboxInspection } from './outbox-inspection.js';
import { OutboxStore, type OutboxConversation } from './outbox-store.js';
import type { SalvagedOutbox } from './outbox-salvage.js';
import { restoreSalvaged } from './salvage-restore.js';
import { MessageSearch } from './search.js';
import { directStandingOf, TRUSTED_SQL, type DirectStanding } from './request-standing.js';
import { RevocationStore } from './revocation-store.js';
import { SettingsStore } from './settings-store.js';
import { MirrorViews } from './views.js';

/** SQLite's default: the WAL is checkpointed by the commit that takes it past 1,000 pages (4 MiB). */
const DEFAULT_WAL_PAGES = 1_000;
/** During a catch-up: 64 MiB, about what 100,000 messages write. */
const CATCH_UP_WAL_PAGES = 16_384;
/** What the WAL is cut back to once checkpointed: a catch-up's tens of MiB do not stay on disk. */
const WAL_KEPT_BYTES = 4 * 1024 * 1024;

export type { OutboxEntry } from './outbox-store.js';

export interface StoredSession {
  serverUrl: string;
  token: string | null;
  user: User;
}

export interface ConversationCursor {
  id: string;
  appliedSeq: number;
  knownSeq: number;
}

interface WaitingEnvelopeRow {
  conversation_id: string;
  seq: number;
  sender_id: string;
  sender_device: number;
  client_id: string;
  ciphertext: string;
  attachments: string;
  sent_at: number;
  /** As the server attested it; NULL for an envelope stored before it did. */
  sender_role: string | null;
}

/** What opened of a run of envelopes, and the ratchet state that opened it, stored in the transaction that applies it. */
export interface OpenedRun {
  opened: OpenedContent;
  ratchet: { writeTo(tables: SignalTables): void };
  /** Envelopes this device sealed and took effect here already: nothing is kept of them. */
  held?: ReadonlySet<number>;
}

export interface StoredMessage {
  senderId: string;
  seq: number | null;
  deleted: boolean;
}

/**
 * The profile's local SQLite mirror: everything the renderer shows comes from here, and every
 * write that belongs with another (a message and its outbox row, applied events and the cursor)
 * happens in one transaction.
 */
export class Mirror {
  readonly outbox: OutboxStore;
  /** The outbox as the inspector lists it (Settings → "Outbox"). */
  readonly outboxInspection: OutboxInspection;
  readonly attachments: AttachmentStore;
  readonly views: MirrorViews;
  readonly search: MessageSearch;
  readonly settings: SettingsStore;
  readonly revocations: RevocationStore;
  /** The keys attachment files are encrypted with on disk. */
  readonly fileKeys: FileKeyStore;
  /** The Signal Protocol's state (sync/client/crypto writes it, in this mirror's transactions). */
  readonly signal: SignalTables;
  /** Whom this account verified, and changes of identity to ask about before sending. */
  readonly identityTrust: IdentityTrust;
  /** What this device sealed, to send again to a member's device that could not open it (for a day). */
  readonly sentContent: SentContentStore;
  /** The waiting envelopes this device asked their senders to send again, and gave up on. */
  readonly resendRequests: ResendRequests;
  /** Its history, exported for a newly linked device or imported from the device that linked this one. */
  readonly history: MirrorHistory;
  /** Disappearing messages: timers started, and what is due taken away. */
  readonly disappearing: DisappearingStore;
  /** Sticker packs installed here (issue 33). */
  readonly stickerPacks: StickerPackStore;
  /** The live locations this device shares (issue 33). */
  readonly liveLocationsHere: LiveLocationsHere;

  /** Whose mentions count as ours (`mentions_self` in SQL); follows the session. */
  private selfUsername: string | null = null;
  /** The worker thread that checkpoints the WAL, once checkpointInBackground() started it. */
  private checkpoints: BackgroundCheckpoints | null = null;
  /** Whether a catch-up asked commits not to checkpoint (deferCheckpoints). */
  private deferring = false;

  private constructor(
    private readonly db: Db,
    /** How it was opened: a checkpoint worker opens it the same way. */
    private readonly openedWith: OpenOptions = {},
  ) {
    db.pragma(`journal_size_limit = ${WAL_KEPT_BYTES}`);
    this.outbox = new OutboxStore(db);
    this.outboxInspection = new OutboxInspection(db);
    this.attachments = new AttachmentStore(db);
    this.views = new MirrorViews(db, this.outbox, this.attachments);
    this.search = new MessageSearch(db);
    this.settings = new SettingsStore(db, this.attachments);
    this.revocations = new RevocationStore(db);
    this.fileKeys = new FileKeyStore(db);
    this.identityTrust = new IdentityTrust(db);
    this.signal = new SignalTables(db, this.identityTrust);
    this.sentContent = new SentContentStore(db);
    this.resendRequests = new ResendRequests(db);
    this.history = new MirrorHistory(db, this.search, this.settings, openedWith);
    this.disappearing = new DisappearingStore(db, this.search);
    this.stickerPacks = new StickerPackStore(db);
    this.liveLocationsHere = new LiveLocationsHere(db);
    this.selfUsername = this.session()?.user.username ?? null;
    db.function('mentions_self', { deterministic: false }, (text: unknown) =>
      typeof text === 'string' && this.selfUsername !== null && mentions(text, this.selfUsername) ? 1 : 0,
    );
  }

  /**
   * Opens (creating if needed) the mirror, the owner's alone (0600: SQLite gives its -wal and -shm
   * the main file's mode). With a key it is encrypted, a plain one from before encrypted in place
   * first. Throws MirrorUnreadableError when the file cannot be read (wrong or missing key, damage).
   */
  static open(path: string, options: OpenOptions = {}): Mirror {
    ensurePrivateFile(path);
    restrictFiles(`${path}-wal`, `${path}-shm`);
    try {
      if (options.key && isPlainDatabaseFile(path)) encryptPlainDatabase(path, options.key, options);
      return new Mirror(openDatabase(path, MIRROR_MIGRATIONS, { secureDelete: true, ...options }), options);
    } catch (error) {
      if (isUnreadableDatabaseError(error)) throw new MirrorUnreadableError(path, error);
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** The SQLite library's version (SQLCipher's build of it) and this file's schema version (user_version). */
  versions(): { sqlite: string; schemaVersion: number } {
    const sqlite = cachedStatement(this.db, 'SELECT sqlite_version() AS version').get() as { version: string };
    return { sqlite: sqlite.version, schemaVersion: schemaVersion(this.db) };
  }

  close(): void {
    // Not awaited here: closing the worker's connection after ours only moves who folds the WAL in.
    void this.checkpoints?.close();
    this.checkpoints = null;
    if (this.db.open) this.db.close();
  }

  /**
   * From now on a worker thread checkpoints the WAL and commits never do: the commit that takes
   * the WAL past 1,000 pages would otherwise copy them into the file and wait for the disk, on
   * the thread that sends and receives messages, every few dozen messages. Should the worker fail,
   * commits checkpoint as before (`onError` says why).
   */
  checkpointInBackground(onError: (error: Error) => void): void {
    if (this.checkpoints || !this.db.open) return;
    this.checkpoints = startBackgroundCheckpoints(this.db, {
      onError,
      ...(this.openedWith.key ? { key: this.openedWith.key } : {}),
      ...(this.openedWith.nativeBinding ? { nativeBinding: this.openedWith.nativeBinding } : {}),
    });
    if (this.deferring) void this.checkpoints.pause(CATCH_UP_WAL_PAGES);
  }

  /** Stops the checkpoint worker (after a last checkpoint); commits checkpoint by themselves again. */
  async stopBackgroundCheckpoints(): Promise<void> {
    const checkpoints = this.checkpoints;
    this.checkpoints = null;
    await checkpoints?.close();
  }

  /**
   * While a catch-up runs (`on`), the WAL is not checkpointed every 1,000 pages (SQLite's
   * default): each checkpoint copies pages into the file and waits for two fsyncs, about a fifth of
   * a catch-up's commits' time, and pages a catch-up writes again and again are copied once, later.
   * The WAL is still bounded (CATCH_UP_WAL_PAGES). Off again, it is checkpointed whole: by the
   * checkpoint worker when there is one, else by the next commit (the search index's first chunk
   * after the catch-up, in idle time).
   */
  deferCheckpoints(on: boolean): void {
    this.deferring = on;
    if (this.checkpoints) void this.checkpoints.pause(on ? CATCH_UP_WAL_PAGES : null);
    else this.db.pragma(`wal_autocheckpoint = ${on ? CATCH_UP_WAL_PAGES : DEFAULT_WAL_PAGES}`);
  }

  /** Runs `work` in one transaction; the search index follows what it wrote before it commits. */
  transaction<T>(work: () => T): T {
    try {
      return this.db.transaction(() => {
        const result = work();
        this.search.flush();
        return result;
      })();
    } catch (error) {
      // Rolled back: what it noted for the index did not happen (an enclosing transaction flushes its own).
      if (!this.db.inTransaction) this.search.forget();
      // What it wrote to the Signal tables is gone too, from this savepoint or the whole transaction.
      this.signal.forgetCached();
      throw error;
    }
  }

  // -- session -------------------------------------------------------------------------------

  session(): StoredSession | null {
    const row = cachedStatement(
      this.db,
      'SELECT server_url, token, user_id, username, display_name FROM session WHERE id = 1',
    ).get() as { server_url: string; token: string | null; user_id: string; username: string; display_name: string } | undefined;
    if (!row) return null;
    return {
      serverUrl: row.server_url,
      token: row.token,
      user: { id: row.user_id, username: row.username, displayName: row.display_name },
    };
  }

  saveSession(session: StoredSession): void {
    cachedStatement(
      this.db,
      `INSERT INTO session (id, server_url, token, user_id, username, display_name) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET server_url = excluded.server_url, token = excluded.token,
           user_id = excluded.user_id, username = excluded.username, display_name = excluded.display_name`,
    ).run(session.serverUrl, session.token, session.user.id, session.user.username, session.user.displayName);
    this.upsertUser(session.user);
    this.selfUsername = session.user.username;
  }

  /** What was salvaged from a damaged mirror, queued again here (salvage-restore.ts). */
  restoreSalvaged(salvaged: SalvagedOutbox): void {
    this.transaction(() => {
      for (const { conversationId, messageId } of restoreSalvaged(this.db, salvaged))
        this.search.touched(conversationId, messageId);
    });
    this.selfUsername = this.session()?.user.username ?? null;
  }

  /** A small write, to learn whether the disk has room again after it was full. */
  probeWrite(now: number): void {
    cachedStatement(
      this.db,
      "INSERT INTO meta (key, value) VALUES ('disk_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(String(now));
  }

  forgetToken(): void {
    cachedStatement(this.db, 'UPDATE session SET token = NULL WHERE id = 1').run();
  }

  /** Signs out here: the token is forgotten and kept only to be revoked on the server at `httpBase`, in one transaction. */
  endSession(httpBase: string): void {
    this.transaction(() => {
      const token = this.session()?.token;
      if (token) this.revocations.add({ httpBase, token });
      this.forgetToken();
    });
  }

  /** Drops everything of a previous account, so two accounts never share one mirror. */
  wipe(): void {
    this.transaction(() => {
      for (const table of [
        'outbox',
        'pins',
        'attachments',
        'notices',
        'resend_requests',
        'identity_trust',
        'held_events',
        'reactions',
        'message_versions',
        'messages',
        'members',
        'conversations',
        'users',
        'session',
      ]) {
        cachedStatement(this.db, `DELETE FROM ${table}`).run();
      }
      this.settings.clear();
      this.search.clear();
      this.sentContent.clear();
    });
  }

  // -- users and conversations ---------------------------------------------------------------

  upsertUser(user: User): void {
    upsertUser(this.db, user);
  }

  /** Someone this mirror has seen (in any conversation), by username. */
  userByUsername(username: string): User | null {
    const row = cachedStatement(this.db, 'SELECT id, username, display_name FROM users WHERE username = ?').get(username) as
      { id: string; username: string; display_name: string } | undefined;
    return row ? { id: row.id, username: row.username, displayName: row.display_name } : null;
  }

  user(userId: string): User | null {
    const row = cachedStatement(this.db, 'SELECT id, username, display_name FROM users WHERE id = ?').get(userId) as
      { id: string; username: string; display_name: string } | undefined;
    return row ? { id: row.id, username: row.username, displayName: row.display_name } : null;
  }

  /**
   * Records what the server says about a conversation: members, their watermarks (which only move
   * forward) and the highest sequence number. Returns true when a catch-up is due.
   */
  upsertConversation(conversation: Conversation, selfId: string): boolean {
    return this.transaction(() => {
      let fresh = !this.hasConversation(conversation.id);
      cachedStatement(
        this.db,
        `INSERT INTO conversations (id, kind, created_at, known_seq, last_activity_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET known_seq = MAX(known_seq, excluded.known_seq), kind = excluded.kind`,
      ).run(conversation.id, conversation.kind, conversation.createdAt, conversation.lastSeq, conversation.createdAt);
      applySnapshot(this.db, conversation, selfId);
      for (const member of conversation.members) {
        this.raiseWatermarks(conversation.id, member.id, member.deliveredSeq, member.readSeq);
        if (member.id !== selfId && conversation.kind === 'direct') {
          const peerSet = cachedStatement(this.db, 'UPDATE conversations SET peer_id = ? WHERE id = ? AND peer_id IS NULL').run(
            member.id,
            conversation.id,
          );
          if (peerSet.changes > 0) fresh = true;
        }
        // What the server already holds of ours need not be sent again.
        if (member.id === selfId) this.confirmReceipt(conversation.id, 'read', member.readSeq);
        if (member.id === selfId) this.confirmReceipt(conversation.id, 'delivered', member.deliveredSeq);
      }
      refreshMembership(this.db, conversation.id, selfId);
      // Its settings may have come first (from another device, or before the conversation list).
      if (fresh) this.settings.showOn(conversation.id);
      const cursor = this.cursor(conversation.id);
      return cursor !== null && cursor.knownSeq > cursor.appliedSeq;
    });
  }

  /**
   * A conversation made here, with its creation queued first in its outbox, so it shows and takes
   * messages at once, online or not. Its members are provisional until the server's snapshot.
   */
  createLocalConversation(input: {
    id: string;
    kind: ConversationKind;
    name: string | null;
    members: { user: User; role: Role }[];
    create: OutboxConversation;
    now: number;
    selfId: string;
  }): void {
    this.transaction(() => {
      cachedStatement(
        this.db,
        `INSERT INTO conversations (id, kind, created_at, last_activity_at, name, peer_id) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        input.id,
        input.kind,
        input.now,
        input.now,
        input.name,
        input.kind === 'direct' ? (input.members.find((member) => member.user.id !== input.selfId)?.user.id ?? null) : null,
      );
      addLocalMembers(this.db, input.id, input.members);
      refreshMembership(this.db, input.id, input.selfId);
      this.settings.showOn(input.id);
      this.outbox.enqueueCreate(input.id, input.create);
    });
  }

  /**
   * The server created (or already had) a conversation we queued: take its word, drop the row.
   * One the other person had started with us meanwhile is a request we accept by starting it too.
   */
  acknowledgeCreation(conversation: Conversation, clientId: string, selfId: string): boolean {
    return this.transaction(() => {
      const behind = this.upsertConversation(conversation, selfId);
      this.outbox.arrived(clientId);
      if (conversation.requestFrom !== undefined) {
        this.settings.write({ kind: 'request', conversationId: conversation.id, value: { answer: 'accepted', seq: 0 } });
      }
      return behind;
    });
  }

  /** Whether we are a member of the conversation now (as far as this mirror knows). */
  isMember(conversationId: string): boolean {
    const row = cachedStatement(this.db, 'SELECT is_member FROM conversations WHERE id = ?').get(conversationId) as
      { is_member: number } | undefined;
    return row?.is_member === 1;
  }

  /** Active members with their roles and join order, as acknowledged (queued changes aside). */
  members(conversationId: string): { userId: string; role: Role; joinOrder: number }[] {
    return (
      cachedStatement(
        this.db,
        'SELECT user_id, role, join_order FROM members WHERE conversation_id = ? AND active = 1 ORDER BY join_order',
      ).all(conversationId) as { user_id: string; role: Role; join_order: number }[]
    ).map((row) => ({ userId: row.user_id, role: row.role, joinOrder: row.join_order }));
  }

  /** Whether `userId`, a member now, was one at `seq`, where `selfId` was (membership-notices.ts: as the notices held here tell). */
  wasMemberAt(conversationId: string, userId: string, selfId: string, seq: number): boolean {
    return memberAtSeq(this.db, conversationId, userId, selfId, seq);
  }

  raiseWatermarks(conversationId: string, userId: string, deliveredSeq: number, readSeq: number): void {
    cachedStatement(
      this.db,
      // A watermark of someone not (yet) known as a member keeps its numbers but makes nobody a
      // member: only membership events and the server's snapshots do (membership_seq 0 yields to both).
      `INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq, active) VALUES (?, ?, ?, ?, 0)
         ON CONFLICT (conversation_id, user_id) DO UPDATE SET
           delivered_seq = MAX(delivered_seq, excluded.delivered_seq),
           read_seq = MAX(read_seq, excluded.read_seq)`,
    ).run(conversationId, userId, Math.max(deliveredSeq, readSeq), readSeq);
    if (readSeq > 0 && cachedStatement(this.db, 'SELECT 1 FROM session WHERE user_id = ?').get(userId)) {
      // Our own read watermark (from this device or another): the unread count follows it, and
      // what it passes of disappearing messages starts its timer.
      recountUnread(this.db, conversationId, userId);
      this.disappearing.startReadTimers(conversationId, userId, readSeq);
    }
  }

  hasConversation(conversationId: string): boolean {
    return cachedStatement(this.db, 'SELECT 1 FROM conversations WHERE id = ?').get(conversationId) !== undefined;
  }

  /** Conversations `userId` is a member of (for presence changes). */
  conversationsWith(userId: string): string[] {
    return (
      cachedStatement(this.db, 'SELECT conversation_id FROM members WHERE user_id = ?').all(userId) as {
        conversation_id: string;
      }[]
    ).map((row) => row.conversation_id);
  }

  /** A direct conversation's other person, blocked or not, and whether it waits as a request; null for a group. */
  directStanding(conversationId: string): DirectStanding | null {
    return directStandingOf(this.db, conversationId);
  }

  /** The other member of a direct conversation; null for a group. */
  peerOf(conversationId: string): string | null {
    const row = cachedStatement(this.db, "SELECT peer_id FROM conversations WHERE id = ? AND kind = 'direct'").get(
      conversationId,
    ) as { peer_id: string | null } | undefined;
    return row?.peer_id ?? null;
  }

  cursor(conversationId: string): ConversationCursor | null {
    const row = cachedStatement(this.db, 'SELECT id, applied_seq, known_seq FROM conversations WHERE id = ?').get(
      conversationId,
    ) as { id: string; applied_seq: number; known_seq: number } | undefined;
    return row ? { id: row.id, appliedSeq: row.applied_seq, knownSeq: row.known_seq } : null;
  }

  /** Conversations whose known sequence is ahead of what is applied. */
  conversationsBehind(): string[] {
    return (cachedStatement(this.db, 'SELECT id FROM conversations WHERE known_seq > applied_seq').all() as { id: string }[]).map(
      (row) => row.id,
    );
  }

  noteKnownSeq(conversationId: string, seq: number): void {
    cachedStatement(this.db, 'UPDATE conversations SET known_seq = MAX(known_seq, ?) WHERE id = ?').run(seq, conversationId);
  }

  // -- applying server events ----------------------------------------------------------------

  /**
   * Applies a contiguous run of events after the cursor and advances it, in one transaction.
   * Events at or below the cursor are skipped (already applied); the run stops at the first gap.
   * Returns the new cursor.
   */
  applyEvents(
    conversationId: string,
    events: readonly AppliedEvent[],
    selfId: string,
    page: { skippedTo?: number; users?: readonly User[] } = {},
    sealed?: OpenedRun,
  ): number {
    return this.transaction(() => {
      sealed?.ratchet.writeTo(this.signal);
      return this.applyFromCursor(conversationId, events, selfId, page, sealed);
    });
  }

  /**
   * The conversation's envelopes still waiting to be opened (their key had not come), in seq order,
   * each checked as it reads back; one that does not read back whole is left out and told.
   */
  waitingEnvelopes(conversationId: string, onUnreadable: (seq: number, error: unknown) => void): EnvelopeEvent[] {
    const rows = cachedStatement(
      this.db,
      `SELECT conversation_id, seq, sender_id, sender_device, client_id, ciphertext, attachments, sent_at, sender_role
       FROM envelopes_waiting WHERE conversation_id = ? ORDER BY seq`,
    ).all(conversationId) as WaitingEnvelopeRow[];
    const envelopes: EnvelopeEvent[] = [];
    for (const row of rows) {
      try {
        const attachments: unknown = JSON.parse(row.attachments);
        envelopes.push(
          envelopeEventSchema.parse({
            kind: 'envelope',
            conversationId: row.conversation_id,
            seq: row.seq,
            senderId: row.sender_id,
            senderDevice: row.sender_device,
            clientId: row.client_id,
            ciphertext: row.ciphertext,
            attachments,
            deleted: false,
            sentAt: row.sent_at,
            ...(row.sender_role !== null ? { senderRole: row.sender_role } : {}),
          }),
        );
      } catch (error) {
        onUnreadable(row.seq, error);
      }
    }
    return envelopes;
  }

  /** Conversations with envelopes waiting to be opened. */
  conversationsWithWaitingEnvelopes(): string[] {
    return cachedValueStatement(this.db, 'SELECT DISTINCT conversation_id FROM envelopes_waiting').all() as string[];
  }

  /**
   * Applies envelopes that waited and have now opened (below the cursor, which they never held
   * back), with the ratchet state that opened them, in one transaction; each is judged by the
   * mirror as it stands now.
   */
  applyOpenedLate(conversationId: string, envelopes: readonly EnvelopeEvent[], selfId: string, sealed: OpenedRun): void {
    this.transaction(() => {
      sealed.ratchet.writeTo(this.signal);
      const batch = beginBatch(this.db, conversationId, selfId, true, this.search, sealed);
      for (const envelope of envelopes) if (sealed.opened.has(envelope.seq)) applyEvent(this.db, envelope, batch);
      this.finish(batch);
    });
  }

  /**
   * Applies what a waiting envelope said, sent again by its sender's device (crypto/resend-asker.ts),
   * as if it had opened: judged by the mirror as it stands now, the envelope no longer waiting, in
   * one transaction (the caller's, when it holds one).
   */
  applyResent(envelope: EnvelopeEvent, content: Content, selfId: string): void {
    this.transaction(() => {
      const batch = beginBatch(this.db, envelope.conversationId, selfId, true, this.search, {
        opened: new Map([[envelope.seq, content]]),
      });
      applyEvent(this.db, envelope, batch);
      this.finish(batch);
    });
  }

  /** applyEvents' work, inside a transaction the caller holds. */
  private applyFromCursor(
    conversationId: string,
    events: readonly AppliedEvent[],
    selfId: string,
    page: { skippedTo?: number; users?: readonly User[] },
    sealed?: Pick<OpenedRun, 'opened' | 'held'>,
  ): number {
    const cursor = this.cursor(conversationId);
    if (!cursor) throw new Error(`Cannot apply events to unknown conversation ${conversationId}`);
    for (const user of page.users ?? []) this.upsertUser(user);
    // The server said nothing up to here is ours to see (we joined later, or were away).
    let applied = Math.max(cursor.appliedSeq, page.skippedTo ?? 0);
    const batch = beginBatch(this.db, conversationId, selfId, true, this.search, sealed);
    for (const event of events) {
      if (event.seq <= applied) continue;
      if (event.seq !== applied + 1) break;
      applyEvent(this.db, event, batch);
      applied = event.seq;
    }
    this.finish(batch);
    if (applied !== cursor.appliedSeq) {
      cachedStatement(this.db, 'UPDATE conversations SET applied_seq = ?, known_seq = MAX(known_seq, ?) WHERE id = ?').run(
        applied,
        applied,
        conversationId,
      );
      // We hold everything up to `applied`; our own delivered watermark follows locally at once.
      this.raiseWatermarks(conversationId, selfId, applied, 0);
    }
    return applied;
  }

  /**
   * The server acknowledged something we queued: record it and drop the outbox row together. If
   * its seq is the next after the cursor, the cursor moves too; otherwise a catch-up fills the gap
   * (and re-applying this event then changes nothing: every rule is idempotent).
   */
  acknowledge(event: AppliedEvent, selfId: string): void {
    this.acknowledgeAll([event], selfId);
  }

  /**
   * Several acknowledgements at once (a window of pipelined sends answered together), in one
   * transaction. Per conversation, in seq order: what continues from the cursor is applied as one
   * batch and moves it; anything beyond a gap is recorded as `acknowledge` records one.
   */
  acknowledgeAll(
    events: readonly AppliedEvent[],
    selfId: string,
    /** What this device sealed in its envelopes among them, by conversation and seq. */
    sealed: ReadonlyMap<string, OpenedContent> = new Map(),
  ): void {
    const byConversation = new Map<string, AppliedEvent[]>();
    for (const event of events) {
      const list = byConversation.get(event.conversationId);
      if (list) list.push(event);
      else byConversation.set(event.conversationId, [event]);
    }
    this.transaction(() => {
      for (const [conversationId, list] of byConversation) {
        if (!this.cursor(conversationId)) continue;
        list.sort((a, b) => a.seq - b.seq);
        const opened = sealed.get(conversationId);
        const applied = this.applyFromCursor(conversationId, list, selfId, {}, opened && { opened });
        const beyondGap = list.filter((event) => event.seq > applied);
        if (beyondGap.length === 0) continue;
        // Past a gap (the catch-up it calls for brings what is missing): messages and changes to
        // them apply in any order, but membership waits for the catch-up, because the order people
        // joined in (the member list's) comes out right only in seq order. Its queued row goes now.
        const batch = beginBatch(this.db, conversationId, selfId, false, this.search, opened && { opened });
        for (const event of beyondGap) {
          if (isNoticeEvent(event)) this.outbox.arrived(appliedClientIdOf(event));
          else applyEvent(this.db, event, batch);
        }
        this.finish(batch);
        this.noteKnownSeq(conversationId, beyondGap.at(-1)!.seq);
      }
    });
  }

  private finish(batch: ReturnType<typeof beginBatch>): void {
    const broughtBackAt = finishBatch(this.db, batch);
    if (batch.storedTimed) {
      // Read already (on another device, before this one caught up): their timers start now.
      const { readSeq } = this.ownWatermarks(batch.conversationId, batch.selfId);
      this.disappearing.startReadTimers(batch.conversationId, batch.selfId, readSeq);
    }
    if (broughtBackAt !== null) this.settings.broughtBack(batch.conversationId, broughtBackAt);
    // Its queued creation is gone now (even when the acknowledgement was lost and it came as an
    // event): settings that waited for it can be sent.
    if (batch.createdByUs) this.settings.mayHaveSendable();
  }

  // -- composing -----------------------------------------------------------------------------

  message(conversationId: string, messageId: string): StoredMessage | null {
    const row = cachedStatement(
      this.db,
      'SELECT sender_id, seq, deleted FROM messages WHERE conversation_id = ? AND client_message_id = ?',
    ).get(conversationId, messageId) as { sender_id: string; seq: number | null; deleted: number } | undefined;
    return row ? { senderId: row.sender_id, seq: row.seq, deleted: row.deleted === 1 } : null;
  }

  /** Whether the message is pinned as acknowledged (queued pins aside). */
  isPinned(conversationId: string, messageId: string): boolean {
    return (
      cachedStatement(this.db, 'SELECT 1 FROM pins WHERE conversation_id = ? AND message_id = ? AND on_ = 1').get(
        conversationId,
        messageId,
      ) !== undefined
    );
  }

  /** Our role in the conversation now (null when we are not an active member). */
  ownRole(conversationId: string, selfId: string): { kind: ConversationKind; role: Role } | null {
    const row = cachedStatement(
      this.db,
      `SELECT c.kind, m.role FROM conversations c JOIN members m ON m.conversation_id = c.id AND m.user_id = ? AND m.active = 1
       WHERE c.id = ?`,
    ).get(selfId, conversationId) as { kind: ConversationKind; role: Role } | undefined;
    return row ?? null;
  }

  /** The seq of the newest event applied in the conversation (0 when none). */
  appliedSeq(conversationId: string): number {
    return this.cursor(conversationId)?.appliedSeq ?? 0;
  }

  /** Whether our reaction with this emoji stands on the message as acknowledged (queued rows aside). */
  hasOwnReaction(conversationId: string, messageId: string, selfId: string, emoji: string): boolean {
    return (
      cachedStatement(
        this.db,
        'SELECT 1 FROM reactions WHERE conversation_id = ? AND message_id = ? AND user_id = ? AND emoji = ? AND on_ = 1',
      ).get(conversationId, messageId, selfId, emoji) !== undefined
    );
  }

  /**
   * Stores a new own message, its attachments and its outbox row in one transaction, and empties
   * the conversation's draft (what was sent is no longer a draft) in the same one.
   */
  enqueueMessage(
    conversationId: string,
    messageId: string,
    senderId: string,
    text: string,
    replyTo: string | null,
    now: number,
    attachments: readonly ComposedAttachment[] = [],
    linkPreview: LinkPreview | null = null,
    poll: PollDefinition | null = null,
    location: LocationDefinition | null = null,
    sticker: StickerDefinition | null = null,
  ): void {
    this.transaction(() => {
      const inserted = cachedStatement(
        this.db,
        `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, reply_to, link_preview,
           expires_in_ms)
           VALUES (?, ?, ?, ?, NULL, 'sending', ?, ?, ?, ?)`,
      ).run(
        conversationId,
        messageId,
        senderId,
        text,
        now,
        replyTo,
        linkPreview ? JSON.stringify(linkPreview) : null,
        // The timer its author sees now, their own queued change included, whenever it goes.
        this.disappearingSetting(conversationId).timerMs,
      );
      const localId = Number(inserted.lastInsertRowid);
      this.search.touchedRow(localId);
      const draft = this.settings.draft(conversationId);
      if (draft && (draft.text !== '' || draft.replyTo !== null)) {
        this.settings.write({ kind: 'draft', conversationId, value: { text: '', replyTo: null } });
      }
      this.attachments.insertOwn(conversationId, messageId, attachments);
      if (poll) storePoll(this.db, { conversationId, messageId, authorId: senderId, seq: 0 }, poll);
      if (location) storeLocation(this.db, { conversationId, messageId, authorId: senderId, seq: 0 }, location);
      if (sticker) storeSticker(this.db, { conversationId, messageId, authorId: senderId, seq: 0 }, sticker);
      this.outbox.enqueueSend(conversationId, messageId);
      noteComposed(this.db, conversationId, localId, now);
    });
  }

  /**
   * Stores a forward: in each target conversation a new own message with the text and the
   * original author's name, its files by reference to the source's (already on the server), and
   * its send queued with the source it copies; all targets in one transaction.
   */
  enqueueForward(input: {
    source: { conversationId: string; messageId: string };
    targets: readonly { conversationId: string; messageId: string }[];
    senderId: string;
    text: string;
    forwardedFrom: string | null;
    now: number;
  }): void {
    this.transaction(() => {
      // A poll goes on as a poll of its own: the same question and options, none of the votes.
      const poll = pollOf(this.db, input.source.conversationId, input.source.messageId);
      // A location goes on as the same point, never live: only its author's device moves the original.
      const source = locationOf(this.db, input.source.conversationId, input.source.messageId);
      const location = source && { lat: source.lat, lon: source.lon };
      // A sticker goes on as the same sticker, with its pack (its two files by reference).
      const sticker = stickerOf(this.db, input.source.conversationId, input.source.messageId);
      for (const target of input.targets) {
        const inserted = cachedStatement(
          this.db,
          `INSERT INTO messages (conversation_id, client_message_id, sender_id, text, seq, state, created_at, forwarded_from,
             expires_in_ms)
             VALUES (?, ?, ?, ?, NULL, 'sending', ?, ?, ?)`,
        ).run(
          target.conversationId,
          target.messageId,
          input.senderId,
          input.text,
          input.now,
          input.forwardedFrom,
          this.disappearingSetting(target.conversationId).timerMs,
        );
        this.attachments.insertForwarded(target.conversationId, target.messageId, input.source);
        if (poll) storePoll(this.db, { ...target, authorId: input.senderId, seq: 0 }, poll);
        if (location) storeLocation(this.db, { ...target, authorId: input.senderId, seq: 0 }, location);
        if (sticker) storeSticker(this.db, { ...target, authorId: input.senderId, seq: 0 }, sticker);
        this.search.touched(target.conversationId, target.messageId);
        this.outbox.enqueueSend(target.conversationId, target.messageId, input.source);
        noteComposed(this.db, target.conversationId, Number(inserted.lastInsertRowid), input.now);
      }
    });
  }

  /** Changes the text of a message that has not been sent yet (one send, with the latest text). */
  rewriteUnsent(conversationId: string, messageId: string, text: string): void {
    this.transaction(() => {
      cachedStatement(
        this.db,
        'UPDATE messages SET text = ? WHERE conversation_id = ? AND client_message_id = ? AND seq IS NULL',
      ).run(text, conversationId, messageId);
      this.search.touched(conversationId, messageId);
    });
  }

  /** The conversation's disappearing-message setting, this person's queued changes applied. */
  disappearingSetting(conversationId: string): DisappearingSetting {
    return disappearingSettingOf(this.db, this.outbox, conversationId);
  }

  /** The location a message is, or null. */
  location(conversationId: string, messageId: string): LocationDefinition | null {
    return locationOf(this.db, conversationId, messageId);
  }

  /** The poll a message is, or null. */
  poll(conversationId: string, messageId: string): PollDefinition | null {
    return pollOf(this.db, conversationId, messageId);
  }

  /**
   * Withdraws a message the server never got: the message, its attachments (an upload under way
   * stops at its next chunk), its queued changes, and the reply
   * pointers of unsent replies to it (which would otherwise be refused for naming a message that
   * never existed).
   */
  withdrawUnsent(conversationId: string, messageId: string): void {
    this.transaction(() => {
      this.outbox.withdraw(conversationId, messageId);
      this.attachments.remove(conversationId, messageId);
      purgeMessageState(this.db, conversationId, messageId);
      const gone = cachedStatement(
        this.db,
        'DELETE FROM messages WHERE conversation_id = ? AND client_message_id = ? AND seq IS NULL RETURNING local_id',
      ).get(conversationId, messageId) as { local_id: number } | undefined;
      if (gone) this.search.removed(gone.local_id);
      cachedStatement(
        this.db,
        'UPDATE messages SET reply_to = NULL WHERE conversation_id = ? AND reply_to = ? AND seq IS NULL',
      ).run(conversationId, messageId);
      refreshLastMessage(this.db, conversationId);
    });
  }

  /**
   * Why every device would drop this content of ours now (content/rules.ts), as the mirror stands;
   * null when it would take effect.
   */
  refusalOfOwn(conversationId: string, selfId: string, content: Content): ContentRefusal | null {
    return refuseContent(
      content,
      contentSender(this.db, { conversationId, senderId: selfId, seq: Number.MAX_SAFE_INTEGER }, content),
      contentTarget(this.db, conversationId, selfId, content),
    );
  }

  /** A permanent refusal of a queued send: the message shows as failed with the reason. */
  failSend(conversationId: string, messageId: string, reason: string): void {
    this.transaction(() => {
      this.outbox.fail(messageId, reason);
      cachedStatement(
        this.db,
        "UPDATE messages SET state = 'failed', error = ? WHERE conversation_id = ? AND client_message_id = ? AND seq IS NULL",
      ).run(reason, conversationId, messageId);
    });
  }

  /**
   * Puts a failed message back in the queue. Its place is after what is queued now. Its refused
   * uploads start again (all of them when the server had lost them).
   */
  retryFailedSend(messageId: string, selfId: string): string | null {
    return this.transaction(() => {
      const conversationId = this.outbox.requeueFailed(messageId, ['send']);
      if (!conversationId) return null;
      const failed = cachedStatement(
        this.db,
        'SELECT error FROM messages WHERE conversation_id = ? AND client_message_id = ?',
      ).get(conversationId, messageId) as { error: string | null } | undefined;
      this.attachments.resetUploads(conversationId, messageId, failed?.error === 'attachment_missing');
      cachedStatement(
        this.db,
        "UPDATE messages SET state = 'sending', error = NULL WHERE conversation_id = ? AND client_message_id = ? AND sender_id = ?",
      ).run(conversationId, messageId, selfId);
      return conversationId;
    });
  }

  /** Removes a failed (never stored by the server) message. */
  discardFailedSend(messageId: string, selfId: string): string | null {
    return this.transaction(() => {
      // A refusal marks the message and its send row failed together (failSend); the row names
      // the conversation, so the lookup stays on the (conversation, message id) key.
      const conversationId = this.outbox.failedSendConversation(messageId);
      if (conversationId === null) return null;
      const failed = cachedStatement(
        this.db,
        "SELECT 1 FROM messages WHERE conversation_id = ? AND client_message_id = ? AND sender_id = ? AND state = 'failed' AND seq IS NULL",
      ).get(conversationId, messageId, selfId);
      if (failed === undefined) return null;
      this.withdrawUnsent(conversationId, messageId);
      return conversationId;
    });
  }

  // -- receipts ------------------------------------------------------------------------------

  /** Marks everything applied so far as read by us; returns the new read watermark. */
  markReadLocally(conversationId: string, selfId: string, upToSeq = Number.MAX_SAFE_INTEGER): number {
    return this.transaction(() => {
      const cursor = this.cursor(conversationId);
      if (!cursor) return 0;
      // Never past what is here: a watermark only names messages this device has.
      const seq = Math.min(cursor.appliedSeq, upToSeq);
      this.raiseWatermarks(conversationId, selfId, cursor.appliedSeq, seq);
      return this.ownWatermarks(conversationId, selfId).readSeq;
    });
  }

  ownWatermarks(conversationId: string, selfId: string): { deliveredSeq: number; readSeq: number } {
    const row = cachedStatement(
      this.db,
      'SELECT delivered_seq, read_seq FROM members WHERE conversation_id = ? AND user_id = ?',
    ).get(conversationId, selfId) as { delivered_seq: number; read_seq: number } | undefined;
    return { deliveredSeq: row?.delivered_seq ?? 0, readSeq: row?.read_seq ?? 0 };
  }

  /** Our watermarks that the server has not confirmed yet. */
  unsentReceipts(selfId: string): { conversationId: string; kind: 'delivered' | 'read'; seq: number }[] {
    const rows = cachedStatement(
      this.db,
      `SELECT c.id, m.delivered_seq, m.read_seq, c.delivered_seq_sent, c.read_seq_sent
         FROM conversations c JOIN members m ON m.conversation_id = c.id AND m.user_id = ?
         WHERE (m.delivered_seq > c.delivered_seq_sent OR m.read_seq > c.read_seq_sent) AND ${TRUSTED_SQL}`,
    ).all(selfId) as { id: string; delivered_seq: number; read_seq: number; delivered_seq_sent: number; read_seq_sent: number }[];
    return rows.flatMap((row) => {
      const readDue = row.read_seq > row.read_seq_sent;
      const receipts: { conversationId: string; kind: 'delivered' | 'read'; seq: number }[] = [];
      if (readDue) receipts.push({ conversationId: row.id, kind: 'read', seq: row.read_seq });
      // A read receipt implies delivered on the server, but only up to what was read: events
      // that arrived after need their own delivered receipt, or the sender never sees them delivered.
      if (row.delivered_seq > row.delivered_seq_sent && !(readDue && row.read_seq >= row.delivered_seq)) {
        receipts.push({ conversationId: row.id, kind: 'delivered', seq: row.delivered_seq });
      }
      return receipts;
    });
  }

  confirmReceipt(conversationId: string, kind: 'delivered' | 'read', seq: number): void {
    const readSeq = kind === 'read' ? seq : 0;
    cachedStatement(
      this.db,
      'UPDATE conversations SET read_seq_sent = MAX(read_seq_sent, ?), delivered_seq_sent = MAX(delivered_seq_sent, ?) WHERE id = ?',
    ).run(readSeq, seq, conversationId);
  }

  // -- diagnostics ---------------------------------------------------------------------------

  /** For tests and diagnostics: every message of a conversation in order, as stored. */
  allMessages(
    conversationId: string,
  ): { seq: number | null; clientMessageId: string; senderId: string; text: string; state: string }[] {
    return (
      cachedStatement(
        this.db,
        'SELECT seq, client_message_id, sender_id, text, state FROM messages WHERE conversation_id = ? ORDER BY seq IS NULL, seq, local_id',
      ).all(conversationId) as { seq: number | null; client_message_id: string; sender_id: string; text: string; state: string }[]
    ).map((row) => ({
      seq: row.seq,
      clientMessageId: row.client_message_id,
      senderId: row.sender_id,
      text: row.text,
      state: row.state,
    }));
  }
}
