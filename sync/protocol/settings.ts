import type { Setting, SettingRegister } from './frames.js';

/**
 * Personal settings as last-writer-wins registers: the rules the server's stores and every client's
 * mirror share, so they all converge on the same value whatever order writes arrive in.
 */

/** What a register is about: one per (kind, conversation), per blocked person, or one for the person. */
export function settingKey(setting: Setting): string {
  switch (setting.kind) {
    case 'archived':
    case 'muted':
    case 'draft':
    case 'request':
      return `${setting.kind}:${setting.conversationId}`;
    case 'blocked':
      return `blocked:${setting.userId}`;
    case 'show_online':
    case 'group_adds':
      return setting.kind;
  }
}

/** The conversation a setting is about; null for one about a person or the person themselves. */
export function settingConversationId(setting: Setting): string | null {
  switch (setting.kind) {
    case 'archived':
    case 'muted':
    case 'draft':
    case 'request':
      return setting.conversationId;
    case 'blocked':
    case 'show_online':
    case 'group_adds':
      return null;
  }
}

/** The person a setting is about (a block); null for the others. */
export function settingUserId(setting: Setting): string | null {
  return setting.kind === 'blocked' ? setting.userId : null;
}

/** Whether `candidate` replaces `current` (a missing register loses to any write). */
export function supersedes(
  candidate: Pick<SettingRegister, 'at' | 'by'>,
  current: Pick<SettingRegister, 'at' | 'by'> | null,
): boolean {
  if (current === null) return true;
  if (candidate.at !== current.at) return candidate.at > current.at;
  return candidate.by > current.by;
}

/**
 * Whether a conversation shows in the "Archived" list rather than the main one: archived, and either
 * muted or with no message from someone else after the seq it was archived at (a new message brings
 * an unmuted conversation back).
 */
export function isInArchive(archived: { on: boolean; seq: number } | null, muted: boolean, lastIncomingSeq: number): boolean {
  if (!archived?.on) return false;
  return muted || lastIncomingSeq <= archived.seq;
}

/**
 * A block stands between two people when either blocked the other. In their direct conversation
 * every event is then stored for its sender only (never delivered, never revealed), neither sees the
 * other's presence or typing, and neither can put the other in a group (cannot_add_to_groups).
 * Groups they already share still carry both people's messages.
 */
export function blockedBetween(a: string, b: string, blocks: (blocker: string, blocked: string) => boolean): boolean {
  return blocks(a, b) || blocks(b, a);
}
