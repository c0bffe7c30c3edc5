/**
 * The app API method names, for the sandboxed preload. Mirrors APP_API_METHODS without pulling zod
 * (the schemas) into the preload bundle; the type makes the compiler reject a missing or an extra
 * name, and test/unit/hosts checks it equals APP_API_METHODS.
 */
import type { AppApiMethod } from '../sync/app-api/contract.js';

const METHODS: { readonly [M in AppApiMethod]: true } = {
  getDefaults: true,
  getSession: true,
  createAccount: true,
  logIn: true,
  logOut: true,
  listSessions: true,
  endSession: true,
  endOtherSessions: true,
  changePassword: true,
  getConnectionState: true,
  listConversations: true,
  startConversation: true,
  findUser: true,
  createGroup: true,
  getConversationInfo: true,
  addMembers: true,
  removeMember: true,
  leaveGroup: true,
  renameGroup: true,
  setRole: true,
  getMessageInfo: true,
  listMessages: true,
  sendMessage: true,
  sendPoll: true,
  sendLocation: true,
  makeMapSnapshot: true,
  reportLiveLocation: true,
  stopLiveLocation: true,
  liveLocationsSharedHere: true,
  votePoll: true,
  endPoll: true,
  setDisappearingTimer: true,
  setDisappearingPolicy: true,
  searchGifs: true,
  storeGif: true,
  createStickerPack: true,
  listStickerPacks: true,
  sendSticker: true,
  addStickerPack: true,
  forwardMessage: true,
  searchMessages: true,
  getAttachmentLimits: true,
  downloadAttachment: true,
  retryMessage: true,
  discardMessage: true,
  markRead: true,
  editMessage: true,
  deleteMessage: true,
  setReaction: true,
  getEditHistory: true,
  retryChange: true,
  discardChange: true,
  listOutbox: true,
  retryOutboxItem: true,
  discardOutboxItem: true,
  setTyping: true,
  getActivity: true,
  getCoreState: true,
  startFresh: true,
  getAbout: true,
  pinMessage: true,
  listPinnedMessages: true,
  setArchived: true,
  setMuted: true,
  setDraft: true,
  getDraft: true,
  setBlocked: true,
  listBlocked: true,
  getPrivacySettings: true,
  setShowOnline: true,
  setGroupAdds: true,
  answerRequest: true,
  getPreferences: true,
  setPreferences: true,
  fetchLinkPreview: true,
  getUnsavedRecoveryKey: true,
  confirmRecoveryKeySaved: true,
  revealRecoveryKey: true,
  getLinkState: true,
  describeLinkCode: true,
  linkDevice: true,
  startNewIdentity: true,
  retryHistoryTransfer: true,
  getSafetyNumber: true,
  setIdentityVerified: true,
  getIdentityChanges: true,
  confirmIdentityChanges: true,
  restoreFromRecoveryKey: true,
  startCall: true,
  acceptCall: true,
  declineCall: true,
  hangUpCall: true,
  dismissCall: true,
  getCall: true,
  sendCallNegotiation: true,
  reportCallMedia: true,
  setCallSending: true,
  getCallIceServers: true,
  joinGroupCall: true,
  leaveGroupCall: true,
  getGroupCalls: true,
  sendGroupCallNegotiation: true,
  setGroupCallSending: true,
};

export const PRELOAD_METHODS: readonly AppApiMethod[] = Object.freeze(Object.keys(METHODS) as AppApiMethod[]);

export function isAppApiMethod(value: unknown): value is AppApiMethod {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(METHODS, value);
}

/** IPC channels between preload and main. */
export const IPC_INVOKE = 'app-api:invoke';
export const IPC_EVENT = 'app-api:event';
/** "Export logs": answered by the main process itself (a save dialog), never by the core. */
export const IPC_EXPORT_LOGS = 'logs:export';
/** "Copy": the main process writes the text to the system clipboard (a sandboxed page has no clipboard module). */
export const IPC_COPY_TEXT = 'clipboard:write-text';
/** "Send your current location": the page says it is asking (true) or done (false); main grants geolocation only between. */
export const IPC_ASKING_LOCATION = 'geolocation:asking';
/** The most "Copy" puts on the clipboard: a recovery key, with room to spare. */
export const MAX_COPY_CHARS = 1_000;
