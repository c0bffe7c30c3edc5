import type { Setting, SettingRegister } from './frames.js';

/**
 * Personal settings as last-writer-wins registers: the rules the server's stores and every client's
 * mirror share, so they all converge on the same value whatever order writes arrive in.
 */

/**
 * What a register is about: one per answered request, per blocked person, one for each privacy
 * setting, and one per sealed key (which the server cannot tell the meaning of).
 */
export function settingKey(setting: Setting): string {
  switch (setting.kind) {
    case 'request':
      return `request:${setting.conversationId}`;
    case 'blocked':
      return `blocked:${setting.userId}`;
    case 'sealed':
      return `sealed:${setting.key}`;
    case 'show_online':
    case 'group_adds':
      return setting.kind;
  }
}

/** The conversation a setting names in the clear (a request's answer); null for the others. */
export function settingConversationId(setting: Setting): string | null {
  return setting.kind === 'request' ? setting.conversationId : null;
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
 * A block stands between two people when either blocked the other. In their direct conversation
 * every event is then stored for its sender only (never delivered, never revealed), neither sees the
 * other's presence or typing, and neither can put the other in a group (cannot_add_to_groups).
 * Groups they already share still carry both people's messages.
 */
export function blockedBetween(a: string, b: string, blocks: (blocker: string, blocked: string) => boolean): boolean {
  return blocks(a, b) || blocks(b, a);
}
