/** The shape of the renderer's state and of the actions components call. */
import type { StoreApi } from 'zustand/vanilla';
import type { AppApiClient } from '../../sync/app-api/client.js';
import type {
  ActivityView,
  AppApiArgs,
  AttachmentInput,
  AttachmentLimits,
  ConnectionState,
  ConversationInfo,
  ConversationSummary,
  Defaults,
  EditHistoryEntry,
  MessageInfo,
  MessageView,
  NoticeView,
  SessionInfo,
} from '../../sync/app-api/contract.js';
import type { User } from '../../sync/protocol/frames.js';
import type { TransportStatus } from '../transport/types.js';

/** The latest bytes moved of one upload or download (from 'transfer' events). */
export interface LiveTransfer {
  direction: 'upload' | 'download';
  transferredBytes: number;
  totalBytes: number;
}

export type Phase = 'loading' | 'unreachable' | 'signedOut' | 'signedIn';

export interface OpenConversation {
  id: string;
  messages: MessageView[];
  /** Membership notices in the same stretch of history, by seq. */
  notices: NoticeView[];
  hasOlder: boolean;
  limit: number;
  /** False until the first page arrived (nothing cached). */
  loaded: boolean;
  error: string | null;
}

/** Typing and presence for one conversation (the open one). */
export interface ConversationActivity extends ActivityView {
  conversationId: string;
}

/** Members, roles and name of the open conversation. */
export interface OpenConversationInfo {
  conversationId: string;
  view: ConversationInfo;
}

export interface AppActions {
  /** Re-reads everything: session, defaults, connection, conversations, open conversation. */
  reloadAll: () => Promise<void>;
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
  send: (text: string, replyTo?: string, attachments?: AttachmentInput[]) => Promise<MessageView | null>;
  /** The largest file the server takes. Throws (the composer then assumes the default). */
  getAttachmentLimits: () => Promise<AttachmentLimits>;
  /** Fetches (or fetches again) one attachment of a message in the open conversation; a notice when refused. */
  downloadAttachment: (messageId: string, index: number) => Promise<void>;
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
   * Makes sure a message of the open conversation is loaded, loading older pages as needed.
   * Resolves false when it cannot be (not in this mirror, or beyond the largest page).
   */
  ensureLoaded: (messageId: string) => Promise<boolean>;
  showNotice: (text: string) => void;
  logOut: () => Promise<void>;
  openConversation: (id: string | null) => void;
  loadOlder: () => Promise<void>;
  retry: (messageId: string) => Promise<void>;
  discard: (messageId: string) => Promise<void>;
  markRead: (conversationId: string) => void;
  dismissNotice: () => void;
}

export interface AppState {
  phase: Phase;
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
  /** A transient problem with an action (retry, delete) to show in the conversation. */
  notice: string | null;
  /** Latest bytes moved per attachment of the open conversation (transfers.ts), by transferKey. */
  transfers: ReadonlyMap<string, LiveTransfer>;
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
