/**
 * The app API's calls about a person's own settings: a conversation archived or muted, its draft,
 * who is blocked, and privacy. Each is a sealed setting, kept at once and synced to the person's
 * other devices, and works offline (client/personal-settings.ts). Declared here and spread into
 * contract.ts, as polls-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { LIMITS } from '../protocol/limits.js';
import type { User } from '../protocol/frames.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);
const none = z.object({}).strict();

export const personalSettingsApiArgs = {
  /** Moves the conversation to the "Archived" list, or back. Synced to your other devices; works offline. */
  setArchived: z.object({ conversationId: id, archived: z.boolean() }).strict(),
  /** No notifications, unread count shown muted. Synced to your other devices; works offline. */
  setMuted: z.object({ conversationId: id, muted: z.boolean() }).strict(),
  /**
   * What the composer holds (empty text: no draft), kept in this profile at once and synced to your
   * other devices (the last writer wins). Call it as the person types (the renderer debounces).
   */
  setDraft: z
    .object({ conversationId: id, text: z.string().max(LIMITS.maxMessageChars), replyTo: id.nullable().optional() })
    .strict(),
  /** The conversation's draft; null when there is none. */
  getDraft: z.object({ conversationId: id }).strict(),
  /**
   * Blocks or unblocks someone: while blocked they cannot message you directly or start a
   * conversation with you, and neither of you sees the other's presence or typing. Synced.
   */
  setBlocked: z.object({ userId: id, blocked: z.boolean() }).strict(),
  /** The people you blocked, by name. */
  listBlocked: none,
  /** Your privacy settings ("Show when I'm online"), as this device has them. */
  getPrivacySettings: none,
  /**
   * Who sees when you are online and when you were last seen: everyone you share a conversation with
   * in which you both have written, or nobody (then you see nobody's either). Synced; works offline.
   */
  setShowOnline: z.object({ showOnline: z.enum(['everyone', 'nobody']) }).strict(),
  /** "Who can add me to groups": anyone, or only your contacts (the server refuses the others). Synced; works offline. */
  setGroupAdds: z.object({ groupAdds: z.enum(['everyone', 'contacts']) }).strict(),
} as const;

export interface PersonalSettingsApiResults {
  setArchived: null;
  setMuted: null;
  setDraft: null;
  getDraft: DraftView | null;
  setBlocked: null;
  listBlocked: User[];
  getPrivacySettings: PrivacySettingsView;
  setShowOnline: null;
  setGroupAdds: null;
}

export interface DraftView {
  text: string;
  /** The messageId the draft replies to, or null. */
  replyTo: string | null;
}

/** Your privacy settings. */
export interface PrivacySettingsView {
  /** "Show when I'm online": everyone in my conversations (the default) or nobody. */
  showOnline: 'everyone' | 'nobody';
  /** "Who can add me to groups": everyone (the default) or my contacts. */
  groupAdds: 'everyone' | 'contacts';
  /** A change made here has not reached the server yet, which enforces these: until then the old one holds. */
  waiting: boolean;
}
