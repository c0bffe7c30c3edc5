/** The shape of the renderer's state and of the actions components call. */
import type { LIVE_DURATIONS_MS } from '../../sync/common/locations.js';
import type { LinkState, LinkTarget, NewIdentityOutcome } from '../../sync/app-api/linking-api.js';
import type { StoreApi } from 'zustand/vanilla';
import type { RevealedRecoveryKey } from '../../sync/app-api/account-keys-api.js';
import type { SafetyNumberView } from '../../sync/app-api/safety-number-api.js';
import type { RestoreOutcome } from '../../sync/app-api/key-backup-api.js';
import type { AppApiClient } from '../../sync/app-api/client.js';
import type { CallView } from '../../sync/app-api/calls-api.js';
import type { GroupCallGoing, GroupCallView } from '../../sync/app-api/group-calls-api.js';
import type { GifResultView, GifSearchView } from '../../sync/app-api/gifs-api.js';
import type { StickerPackView } from '../../sync/app-api/stickers-api.js';
import type { CallMedia } from '../../sync/common/call-machine.js';
import type { CallSending } from '../../sync/common/call-negotiation.js';
import type { CallStats } from '../calls/call-stats.js';
import type { CallStream, RemoteMedia } from '../calls/media-engine.js';
import type {
  AboutView,
  ActivityView,
  AppApiArgs,
  AttachmentInput,
  AttachmentLimits,
  ConnectionState,
  ConversationInfo,
  ConversationSummary,
  Defaults,
  EditHistoryEntry,
  LinkPreviewView,
  MessageInfo,
  MessageView,
  NoticeView,
  PinnedMessageView,
  SessionView,
  RecoveryView,
  SearchResult,
  SessionInfo,
} from '../../sync/app-api/contract.js';
import type { OutboxListing } from '../../sync/app-api/outbox-api.js';
import type { DraftView, PrivacySettingsView } from '../../sync/app-api/personal-settings-api.js';
import type { Preferences } from '../../sync/app-api/preferences.js';
import type { User } from '../../sync/protocol/frames.js';
import type { TransportStatus } from '../transport/types.js';

/** The latest bytes moved of one upload or download (from 'transfer' events). */
export interface LiveTransfer {
  direction: 'upload' | 'download';
  transferredBytes: number;
  totalBytes: number;
}

/** 'recovery': this device's messages could not be opened (RecoveryScreen). */
export type Phase = 'loading' | 'unreachable' | 'recovery' | 'signedOut' | 'signedIn';

/**
 * The open conversation's window on its history: a stretch of a few hundred messages, the newest
 * ones or (after a jump) any stretch, that grows at either end as the person scrolls and lets go of
 * the far end so memory stays bounded however long the history is.
 */
export interface OpenConversation {
  id: string;
  messages: MessageView[];
  /** Membership notices in the same stretch of history, by seq. */
  notices: NoticeView[];
  /** More history before the window's first message / after its last one. */
  hasOlder: boolean;
  hasNewer: boolean;
  /** False until the first page arrived (nothing cached). */
  loaded: boolean;
  error: string | null;
  /**
   * Your read watermark when the conversation was opened: the "Unread messages" divider stands
   * before the first message after it that is not yours, until the conversation is opened again.
   */
  unreadAfterSeq: number | null;
  /** The message jumped to (a search result, a quote): shown as current until the person moves on. */
  target: string | null;
  /**
   * Where the list should scroll: the first unread message (or the newest when none), the newest,
   * or the target. `n` grows with every request, so asking again scrolls again.
   */
  scroll: { to: 'first-unread' | 'latest' | 'target'; n: number };
}

/** The sidebar's search (search.ts): what is typed and the newest answer to it. */
export interface SearchState {
  /** What is in the box, as typed; searching while it holds more than spaces. */
  query: string;
  /** Newest first. Answers `query` unless `pending` (then the previous answer stays meanwhile). */
  results: SearchResult[];
  /** The last query typed has not been answered yet (waiting for the person to pause, or in flight). */
  pending: boolean;
  /** Why the last search failed, in words; results are then empty. */
  error: string | null;
  /** The result Enter opens (an index into results; 0 when there are none). */
  selected: number;
}

/** Typing and presence for one conversation (the open one). */
export interface ConversationActivity extends ActivityView {
  conversationId: string;
}

/** The open conversation's pinned messages, the most recently pinned first (pins.ts). */
export interface OpenPins {
  conversationId: string;
  list: PinnedMessageView[];
}

/** The latest AppEvent 'settings': which conversations' settings (drafts) changed; `n` grows with each. */
export interface SettingsChange {
  conversationIds: string[];
  n: number;
}

/** The outbox inspector's listing (outbox.ts), while the dialog is open; null until first read. */
export interface OutboxState {
  listing: OutboxListing | null;
  /** Why the last reading failed, in words. */
  error: string | null;
}

/** Members, roles and name of the open conversation. */
export interface OpenConversationInfo {
  conversationId: string;
  view: ConversationInfo;
}

/** The recovery key: shown after sign-up until it is saved, and again from the settings given the password. */
export interface RecoveryKeyActions {
  /** The recovery key while it is still to be saved, else null. Throws. */
  loadUnsavedRecoveryKey: () => Promise<string | null>;
  /** "I have saved it". Throws. */
  confirmRecoveryKeySaved: () => Promise<void>;
  /** The key given the password; throws AppApiError 'unauthorized' when it is wrong. */
  revealRecoveryKey: (password: string) => Promise<RevealedRecoveryKey>;
  /** Restores this device's account keys from the key backup with the recovery key as typed. Throws ('offline' and the like). */
  restoreFromRecoveryKey: (recoveryKey: string) => Promise<RestoreOutcome>;
}

export interface LinkingActions {
  /** On a linked device: which device a link code names. Throws (AppApiError: invalid_argument, refused…). */
  describeLinkCode: (code: string) => Promise<LinkTarget>;
  /** On a linked device: hands the identity to the device the code names. Throws. */
  linkDevice: (code: string) => Promise<void>;
  /** While waiting to be linked: a new identity in place of the account's. Throws. */
  startNewIdentity: () => Promise<NewIdentityOutcome>;
  /** On a device just linked whose history did not arrive: tries again. Throws. */
  retryHistoryTransfer: () => Promise<void>;
}

/** Safety numbers (safety-numbers.ts). Each throws. */
export interface SafetyNumberActions {
  loadSafetyNumber: (userId: string) => Promise<SafetyNumberView>;
  /** Marks the person verified with the key their number was shown for ('conflict' when it changed since), or clears it. */
  setIdentityVerified: (userId: string, identityKey: string, verified: boolean) => Promise<void>;
  /** The conversation's members whose safety number changed after it was verified: ask before sending. */
  loadIdentityChanges: (conversationId: string) => Promise<User[]>;
  /** "Send anyway": stop asking about them until their next change. */
  confirmIdentityChanges: (conversationId: string) => Promise<void>;
}

/** The call on this device (calls.ts): the core's view of it and this device's media. */
export interface CallState {
  view: CallView;
  /** This device's camera or shared screen, for its preview; null when neither is on. */
  preview: CallStream | null;
  /** What the other side sends; null until the peer connection has its tracks. */
  remote: RemoteMedia | null;
  /** What this device sends now. */
  sending: CallSending;
  /** The microphone is muted here (it may also be missing: then sending.audio is false too). */
  muted: boolean;
  /** The call fills the pane; false: a bar over the conversation offers "Return to call". */
  expanded: boolean;
}

/** Calls (calls.ts). Those that ask the core throw (AppApiError) so the caller can say why. */
export interface CallActions {
  /** Rings the other person of a direct conversation. */
  startCall: (conversationId: string, media: CallMedia) => Promise<void>;
  /** Answers the call ringing here: "Accept" ('audio') or "Accept with video". */
  acceptCall: (media: CallMedia) => Promise<void>;
  declineCall: () => Promise<void>;
  hangUpCall: () => Promise<void>;
  setCallMuted: (muted: boolean) => Promise<void>;
  setCallCamera: (on: boolean) => Promise<void>;
  /** Resolves when the picker was answered (cancelling it shares nothing). */
  setCallScreenShared: (on: boolean) => Promise<void>;
  /** Shows the call in full, or as the bar while the person reads a conversation. */
  showCall: (expanded: boolean) => void;
  /** What the media is doing now (getStats), null without a peer connection. Never throws. */
  readCallStats: () => Promise<CallStats | null>;
}

/** The group call this device is in (group-calls.ts): the core's view of it and this device's media. */
export interface JoinedGroupCall {
  view: GroupCallView;
  /** This device's camera or shared screen, for its preview; null when neither is on. */
  preview: CallStream | null;
  /** What each other device sends, by participant key, once its peer connection has tracks. */
  remotes: ReadonlyMap<string, RemoteMedia>;
  /** What this device sends now. */
  sending: CallSending;
  muted: boolean;
  /** The call fills the pane; false: a bar over the conversation offers "Return to call". */
  expanded: boolean;
}

/** Group calls (group-calls.ts): those going on that this device heard of, and the one it is in. */
export interface GroupCallsState {
  going: readonly GroupCallGoing[];
  joined: JoinedGroupCall | null;
}

/** Group calls (group-calls.ts). Those that ask the core throw (AppApiError) so the caller can say why. */
export interface GroupCallActions {
  /** Joins the call going on in the group, or starts one there. */
  joinGroupCall: (conversationId: string, media: CallMedia) => Promise<void>;
  /** Leaves the group call (it goes on for the others). */
  leaveGroupCall: () => Promise<void>;
  setGroupCallMuted: (muted: boolean) => Promise<void>;
  setGroupCallCamera: (on: boolean) => Promise<void>;
  /** Resolves when the picker was answered (cancelling it shares nothing). */
  setGroupCallScreenShared: (on: boolean) => Promise<void>;
  /** Shows the group call in full, or as the bar while the person reads a conversation. */
  showGroupCall: (expanded: boolean) => void;
  /** What the media with one participant is doing now (getStats), null without its peer connection. Never throws. */
  readGroupCallStats: (participantKey: string) => Promise<CallStats | null>;
}

/** Polls (polls.ts): sending one, and voting on or ending those of the open conversation. */
export interface PollActions {
  /**
   * Sends a poll to the conversation the dialog was opened in (another may be open by the time it
   * goes); resolves with its message. Throws when the core would not take it (the dialog shows why).
   */
  sendPoll: (conversationId: string, question: string, options: string[], multiple: boolean) => Promise<MessageView>;
  /** This person's vote, shown at once (no choices withdraws it); a notice when refused. */
  votePoll: (messageId: string, choices: number[]) => Promise<void>;
  /** Ends a poll of this person's, shown at once; a notice when refused. */
  endPoll: (messageId: string) => Promise<void>;
}

/** GIFs (gifs.ts): the picker's "GIFs" tab. */
export interface GifActions {
  /** One page of results through this person's server; throws so the tab can say why (gifProblemOf). */
  searchGifs: (query: string, offset: number) => Promise<GifSearchView>;
  /** Sends the GIF to the open conversation as an image (with the reply being written); throws when it could not. */
  sendGif: (gif: GifResultView, replyTo?: string) => Promise<MessageView | null>;
}

/** Sticker packs (stickers.ts): the Stickers tab and a received sticker's "Add sticker pack". */
export interface StickerActions {
  /** Reads the packs installed here into `stickerPacks`. */
  loadStickerPacks: () => Promise<void>;
  /** "Create sticker pack" from the pictures chosen; throws with the core's code when it would not (the dialog says why). */
  createStickerPack: (name: string, pictures: readonly { file: Blob; emoji?: string }[]) => Promise<StickerPackView>;
  /** Sends a sticker of an installed pack to the open conversation; throws when it could not. */
  sendSticker: (packId: string, stickerId: string) => Promise<void>;
  /** Downloads a received sticker's pack (its bundle) if need be and installs it; throws with the core's code. */
  addStickerPack: (conversationId: string, messageId: string) => Promise<void>;
}

/** Locations (locations.ts): sending one. */
export interface LocationActions {
  /**
   * Sends a point and its place name (possibly empty) to the conversation the dialog was opened
   * in, with a map snapshot when a tile server is set (Settings → "Maps"); resolves with its
   * message. A snapshot that could not be made does not stop it: it is sent without one, and
   * `mapFailure` says why. Throws when the core would not take it (the dialog shows why).
   */
  sendLocation: (
    conversationId: string,
    point: { lat: number; lon: number },
    name: string,
    /** "Share live location" for this long: this window then reports its position as it moves. */
    liveForMs?: LiveDurationMs,
  ) => Promise<SentLocation>;
  /** "Stop sharing" a live location of this person's (any of their devices may); throws when refused. */
  stopSharing: (conversationId: string, messageId: string) => Promise<void>;
}

export interface SentLocation {
  message: MessageView;
  /** Why its map snapshot could not be made (it went without one); null when it has one or none was asked. */
  mapFailure: { error: unknown } | null;
}

export type LiveDurationMs = (typeof LIVE_DURATIONS_MS)[number];

/** What the person changed in the "Disappearing messages" dialog; a field left alone is absent. */
export interface DisappearingEdits {
  timerMs?: number | null;
  everyone?: boolean;
}

/** Disappearing messages (disappearing.ts): the dialog's Save. */
export interface DisappearingActions {
  /**
   * Sends what the person changed that differs from the conversation's setting now: its timer
   * (null: off), then whether every member of the group may change it. Throws when the core refuses
   * (the dialog shows why).
   */
  saveDisappearing: (conversationId: string, edits: DisappearingEdits) => Promise<void>;
}

export interface AppActions
  extends
    RecoveryKeyActions,
    LinkingActions,
    SafetyNumberActions,
    CallActions,
    GroupCallActions,
    PollActions,
    GifActions,
    StickerActions,
    LocationActions,
    DisappearingActions {
  /** Re-reads everything: session, defaults, connection, conversations, open conversation. */
  reloadAll: () => Promise<void>;
  /** In recovery: a new, empty copy of the messages (the salvaged unsent ones queued in it); sign-in follows. */
  startFresh: () => Promise<void>;
  /** These throw (AppApiError / TransportError) so the form can show why. */
  createAccount: (args: AppApiArgs<'createAccount'>) => Promise<void>;
  logIn: (args: AppApiArgs<'logIn'>) => Promise<void>;
  startConversation: (username: string) => Promise<void>;
  /** Someone by username (throws not_found / offline). */
  findUser: (username: string) => Promise<User>;
  /** Creates a group with these people and opens it. Throws when the core would not. */
  createGroup: (name: string, memberIds: string[]) => Promise<void>;
  /** Group changes to the open conversation; they throw so the dialog can show why. */
  addMembers: (userIds: string[]) => Promise<void>;
  removeMember: (userId: string) => Promise<void>;
  leaveGroup: () => Promise<void>;
  renameGroup: (name: string) => Promise<void>;
  setRole: (userId: string, role: 'admin' | 'member') => Promise<void>;
  /** A refused group change: queue it again / drop it. These show a notice when refused. */
  retryGroupChange: (changeId: string) => Promise<void>;
  discardGroupChange: (changeId: string) => Promise<void>;
  /**
   * Resolves with the sent message; throws when the core would not take it. With attachments
   * (already in the profile's store) the text is their caption and may be empty.
   */
  send: (
    text: string,
    replyTo?: string,
    attachments?: AttachmentInput[],
    linkPreview?: LinkPreviewView,
  ) => Promise<MessageView | null>;
  /** Pins or unpins a message of the open conversation; a notice when refused. */
  pinMessage: (messageId: string, on: boolean) => Promise<void>;
  /** Your settings (synced to your other devices). These throw so the caller can show why. */
  setArchived: (conversationId: string, archived: boolean) => Promise<void>;
  setMuted: (conversationId: string, muted: boolean) => Promise<void>;
  setBlocked: (userId: string, blocked: boolean) => Promise<void>;
  /** The people you blocked. Throws. */
  loadBlocked: () => Promise<User[]>;
  /** The devices signed in to your account, this one marked. Throws (offline too). */
  loadSessions: () => Promise<SessionView[]>;
  /** Signs one of your other devices out. Throws. */
  endSession: (sessionId: string) => Promise<void>;
  /** Signs every other device out; resolves with how many. Throws. */
  endOtherSessions: () => Promise<number>;
  /** A new password, given the current one; every other device is signed out (resolves with how many). Throws. */
  changePassword: (currentPassword: string, newPassword: string) => Promise<number>;
  /** Your privacy settings ("Show when I'm online"). Throws. */
  loadPrivacy: () => Promise<PrivacySettingsView>;
  /** Who sees when you are online (synced; the server enforces it). Throws. */
  setShowOnline: (showOnline: PrivacySettingsView['showOnline']) => Promise<void>;
  /** Who can add you to groups (synced; the server enforces it). Throws. */
  setGroupAdds: (groupAdds: PrivacySettingsView['groupAdds']) => Promise<void>;
  /** "Accept", "Delete" or "Block" on a message request (synced). Throws. */
  answerRequest: (conversationId: string, answer: 'accept' | 'delete' | 'block') => Promise<void>;
  /** A conversation's saved draft, or null. Throws. */
  loadDraft: (conversationId: string) => Promise<DraftView | null>;
  /** Keeps what the composer holds (empty text: no draft). Throws. */
  saveDraft: (conversationId: string, text: string, replyTo: string | null) => Promise<void>;
  /** The core's preview of a page; null when there is none or it failed. Never throws. */
  fetchLinkPreview: (url: string) => Promise<LinkPreviewView | null>;
  /** The largest file the server takes. Throws (the composer then assumes the default). */
  getAttachmentLimits: () => Promise<AttachmentLimits>;
  /** The versions for the About dialog (read each time it opens). */
  loadAbout: () => Promise<AboutView>;
  /** Fetches (or fetches again) one attachment of a message in the open conversation; a notice when refused. */
  downloadAttachment: (messageId: string, index: number) => Promise<void>;
  /** Conversations a message can be forwarded to (you are a member), newest activity first. Throws. */
  loadForwardTargets: () => Promise<ConversationSummary[]>;
  /** Copies a message into each conversation (offline too). Throws so the dialog can show why. */
  forwardMessage: (conversationId: string, messageId: string, toConversationIds: string[]) => Promise<void>;
  /** Throws when the core would not take the edit (the composer shows why). */
  editMessage: (messageId: string, text: string) => Promise<void>;
  /** These show a notice when the core refuses. */
  deleteMessage: (messageId: string) => Promise<void>;
  setReaction: (messageId: string, emoji: string, on: boolean) => Promise<void>;
  retryChange: (messageId: string, changeId: string) => Promise<void>;
  discardChange: (messageId: string, changeId: string) => Promise<void>;
  /** Throws (the dialog shows why). */
  loadEditHistory: (messageId: string) => Promise<EditHistoryEntry[]>;
  /** Who read / received one of your messages. Throws (the dialog shows why). */
  loadMessageInfo: (messageId: string) => Promise<MessageInfo>;
  /** Tells the core the person is typing in the open conversation. Never throws. */
  setTyping: () => void;
  /**
   * Opens the conversation on the stretch of history around this message and marks it current.
   * Resolves false when it is not in this profile.
   */
  jumpToMessage: (conversationId: string, messageId: string) => Promise<boolean>;
  /** Back to the newest messages after scrolling or jumping up. */
  jumpToLatest: () => Promise<void>;
  /** The person moved on from the message jumped to. */
  clearTarget: () => void;
  /** The search box changed: searches for it once the person pauses (an empty box ends searching). */
  setSearchQuery: (query: string) => void;
  /** Empties the search box: back to the conversation list. */
  clearSearch: () => void;
  /** Makes this result the one Enter opens (clamped to the results). */
  selectSearchResult: (index: number) => void;
  /** Jumps to this result's message (the selected one by default), answering what was typed first. */
  openSearchResult: (index?: number) => Promise<void>;
  showNotice: (text: string) => void;
  logOut: () => Promise<void>;
  openConversation: (id: string | null) => void;
  /** Extend the window at one end (the list calls these near its edges). */
  loadOlder: () => Promise<void>;
  loadNewer: () => Promise<void>;
  retry: (messageId: string) => Promise<void>;
  discard: (messageId: string) => Promise<void>;
  /** Marks read up to `upToSeq` (the last message shown on screen), or everything. */
  markRead: (conversationId: string, upToSeq?: number) => void;
  dismissNotice: () => void;
  /** Changes some of this device's preferences (shown at once). Throws when the core would not take them. */
  setPreferences: (change: Partial<Preferences>) => Promise<void>;
  /** The outbox dialog is open: reads the outbox now and on every change until the returned function is called. */
  watchOutbox: () => () => void;
  /** "Retry now" / "Discard" in the outbox dialog. These throw so the dialog can show why. */
  retryOutboxItem: (id: string) => Promise<void>;
  discardOutboxItem: (id: string) => Promise<void>;
}

export interface AppState {
  phase: Phase;
  /** What the recovery screen shows; set while phase is 'recovery'. */
  recovery: RecoveryView | null;
  /** Nothing can be written: the disk is full (a banner says so until there is room again). */
  diskFull: boolean;
  /**
   * The server has no room for more of the person's private settings: they apply on this device
   * only (a banner says so until the server takes them).
   */
  settingsFull: boolean;
  defaults: Defaults | null;
  session: SessionInfo | null;
  connection: ConnectionState;
  transport: TransportStatus;
  /** Most recent activity first. */
  conversations: ConversationSummary[];
  conversationsLoaded: boolean;
  conversationsError: string | null;
  open: OpenConversation | null;
  /** Who is typing in the open conversation and the peer's presence; null until known. */
  activity: ConversationActivity | null;
  /** Members, roles and name of the open conversation; null until known. */
  info: OpenConversationInfo | null;
  /** The open conversation's pinned messages; null until known. */
  pins: OpenPins | null;
  /** The latest change to your settings the core told of (the composer re-reads its draft). */
  settingsChange: SettingsChange;
  /** The sidebar's search; while its query is not blank, results show in place of the list. */
  search: SearchState;
  /** A transient problem with an action (retry, delete) to show in the conversation. */
  notice: string | null;
  /** Latest bytes moved per attachment of the open conversation (transfers.ts), by transferKey. */
  transfers: ReadonlyMap<string, LiveTransfer>;
  /** This device's preferences (preferences.ts); null until the core has told them. */
  preferences: Preferences | null;
  /** Whether this device has the account's identity or waits to be linked (linking.ts). */
  linkState: LinkState;
  /** What the outbox dialog shows (outbox.ts); null while nobody watches it. */
  outbox: OutboxState | null;
  /** The call ringing, going on or just ended on this device (calls.ts); null when there is none. */
  call: CallState | null;
  groupCalls: GroupCallsState;
  /** The sticker packs installed here (stickers.ts); null until read. */
  stickerPacks: StickerPackView[] | null;
  actions: AppActions;
}

export type AppStore = StoreApi<AppState> & { dispose(): void };

/** What every area of the store works with. */
export interface StoreKit {
  api: AppApiClient;
  get: () => AppState;
  set: (partial: Partial<AppState>) => void;
  /** The signed-in user's id, or null: areas drop answers that arrive after a change of user. */
  userId: () => string | null;
}
