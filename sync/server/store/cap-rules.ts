import { ACCOUNT_CAPS } from '../../protocol/limits.js';
import { refused } from './append-rules.js';
import type { CreationCaps, Refused } from './server-store.js';

/**
 * How much one person may create in any hour (a sliding window), for every store: the store counts
 * inside the transaction that would store the creation, asks here, and records what it stored.
 * Asking again for a conversation that exists (a resend) is never counted or refused. Across nodes
 * the count is only as current as each transaction's snapshot, so one person's requests in flight
 * at the same moment may pass the cap by their number: a cap on abuse, not an exact quota.
 */
export type { CreationCaps };

export const DEFAULT_CREATION_CAPS: CreationCaps = {
  conversationsPerHour: ACCOUNT_CAPS.maxConversationsCreatedPerHour,
  membersAddedPerHour: ACCOUNT_CAPS.maxMembersAddedPerHour,
};

/** No cap: for filling a store by hand (benchmark seeds, tests of other rules, the simulation). */
export const UNCAPPED: CreationCaps = { conversationsPerHour: Infinity, membersAddedPerHour: Infinity };

/** The start of the window a creation at `now` is counted in. */
export function capWindowStart(now: number): number {
  return now - ACCOUNT_CAPS.capWindowMs;
}

/** A new conversation, after `createdInWindow` others in the last hour. */
export function refuseNewConversation(caps: CreationCaps, createdInWindow: number): Refused | null {
  return createdInWindow >= caps.conversationsPerHour ? refused('too_many_conversations_created') : null;
}

/** `adding` people added to groups, after `addedInWindow` in the last hour. */
export function refuseMemberAdditions(caps: CreationCaps, addedInWindow: number, adding: number): Refused | null {
  return adding > 0 && addedInWindow + adding > caps.membersAddedPerHour ? refused('too_many_members_added') : null;
}
