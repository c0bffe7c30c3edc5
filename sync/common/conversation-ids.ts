import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * Conversation ids. A group's id is chosen by the client that creates it (time-ordered, like
 * message ids), so a group made offline has its id at once. A direct conversation's id is derived
 * from the pair of user ids, so two people who start a chat with each other offline at the same
 * time end up in the same conversation, and every device, the server included, agrees without
 * asking.
 */

const DIRECT_PREFIX = 'dm-';

/** The id of the direct conversation between two users, whichever of them starts it. */
export function directConversationId(userA: string, userB: string): string {
  if (userA === userB) throw new Error('A direct conversation needs two different users');
  const pair = [userA, userB].sort().join('\n');
  // 160 bits of SHA-256: ids are server-chosen, so only accidental collisions matter, and those
  // are out of reach at this width. 43 characters stay within LIMITS.maxIdChars.
  return DIRECT_PREFIX + bytesToHex(sha256(utf8ToBytes(`direct\n${pair}`))).slice(0, 40);
}

/** Whether an id has the shape of a derived direct id (a group may never take such an id). */
export function looksLikeDirectId(id: string): boolean {
  return id.startsWith(DIRECT_PREFIX);
}
