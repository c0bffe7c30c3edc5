/**
 * Views as the app API returns them, for tests that stand in for the core: every field at a plain
 * default, the person on the other side named, and what the test cares about as overrides.
 */
import type { ConversationSummary, MessageView } from '../../sync/app-api/contract.js';
import type { DisappearingView } from '../../sync/app-api/disappearing-api.js';
import type { User } from '../../sync/protocol/frames.js';

/** A direct conversation with `peer`, read, nothing in it yet. */
export function conversationSummary(peer: User, overrides: Partial<ConversationSummary> & { id: string }): ConversationSummary {
  return {
    kind: 'direct',
    title: peer.displayName,
    peer,
    memberCount: 2,
    isMember: true,
    lastMessage: null,
    unreadCount: 0,
    mentionsYou: false,
    lastActivityAt: 1,
    archived: false,
    muted: false,
    draft: null,
    blocked: false,
    request: false,
    requestFromName: null,
    disappearingTimerMs: null,
    ...overrides,
  };
}

/** A message from `sender` in conversation c1, as received: no status, no changes, nothing attached. */
export function messageView(sender: User, overrides: Partial<MessageView> & { id: string }): MessageView {
  return {
    conversationId: 'c1',
    seq: 1,
    senderId: sender.id,
    senderName: sender.displayName,
    own: false,
    text: '',
    at: 1000,
    status: null,
    error: null,
    edited: false,
    deleted: false,
    replyTo: null,
    reactions: [],
    failedChanges: [],
    attachments: [],
    forwardedFrom: null,
    linkPreview: null,
    pinned: false,
    poll: null,
    location: null,
    sticker: null,
    expiresInMs: null,
    expiresAt: null,
    ...overrides,
  };
}

/** Disappearing messages off, as a direct conversation has them: either person may turn them on. */
export function disappearingView(overrides: Partial<DisappearingView> = {}): DisappearingView {
  return { timerMs: null, everyoneMaySet: true, mayChange: true, mayChangePolicy: false, ...overrides };
}
