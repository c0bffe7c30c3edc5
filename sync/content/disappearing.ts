/**
 * Disappearing messages (issue 33) as content: a conversation's timer and, in a group, who may set
 * it. Both are sealed like a group's new name; every message then carries the timer its author saw
 * (content.ts: `message.expiresInMs`), so a late change never shortens or lengthens what was sent.
 */
import { z } from 'zod';
import { disappearingTimerMs } from '../protocol/disappearing.js';
import { mayManageMembers } from '../protocol/rules.js';
import type { ContentRefusal, ContentSender } from './content-sender.js';

/** The timer new messages get from now on; null turns it off. */
export const disappearingTimerSchema = z.object({
  kind: z.literal('disappearing_timer'),
  timerMs: disappearingTimerMs.nullable(),
});
/** A group's owner and admins let every member set the timer, or only themselves. */
export const disappearingPolicySchema = z.object({ kind: z.literal('disappearing_policy'), everyone: z.boolean() });

/** Content about the conversation's disappearing messages, queued and sealed as it is. */
export const disappearingContentSchema = z.discriminatedUnion('kind', [disappearingTimerSchema, disappearingPolicySchema]);
export type DisappearingContent = z.infer<typeof disappearingContentSchema>;

/**
 * Either person of a direct conversation sets the timer; in a group its owner and admins, or any
 * member when the group lets everyone. Only the owner and admins change that policy.
 */
export function refuseDisappearing(content: DisappearingContent, sender: ContentSender): ContentRefusal | null {
  if (content.kind === 'disappearing_policy') {
    return sender.conversationKind === 'group' && mayManageMembers(sender.role) ? null : 'not_allowed';
  }
  return mayChangeTimer(sender) ? null : 'not_allowed';
}

export function mayChangeTimer(sender: Omit<ContentSender, 'id'>): boolean {
  return sender.conversationKind === 'direct' || sender.everyoneMaySetTimer === true || mayManageMembers(sender.role);
}

/** The kinds as a set, for the unions that switch on them. */
export function isDisappearingContent<C extends { kind: string }>(content: C): content is C & DisappearingContent {
  return content.kind === 'disappearing_timer' || content.kind === 'disappearing_policy';
}
