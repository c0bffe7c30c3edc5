/**
 * The group-add flood of issue 30, seeded through the store (signing up a thousand people over
 * HTTP would spend most of a test hashing passwords, and the hourly add cap would stop one adder):
 * strangers who put one person into many groups of the most members a group may have.
 */
import { LIMITS } from '../../sync/protocol/limits.js';
import { UNCAPPED } from '../../sync/server/store/cap-rules.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';

export const strangerId = (n: number) => `stranger-${String(n).padStart(4, '0')}`;

/**
 * Puts `victimId` into `groups` groups of `members` members each (the victim and `members - 1`
 * strangers, each group made by another stranger); returns the groups' ids.
 */
export async function seedGroupFlood(
  store: ServerStore,
  victimId: string,
  { groups, members = LIMITS.maxGroupMembers }: { groups: number; members?: number },
): Promise<string[]> {
  const strangers = Array.from({ length: members - 1 }, (_, index) => strangerId(index + 1));
  for (const id of strangers) {
    const created = await store.createUser({
      id,
      username: id,
      displayName: `Stranger ${id}`,
      passwordHash: 'unused',
      createdAt: 1,
    });
    if (created.status !== 'created') throw new Error(`${id} was not created`);
  }
  const ids: string[] = [];
  for (let n = 0; n < groups; n += 1) {
    const conversationId = `flood-${String(n).padStart(4, '0')}`;
    const creatorId = strangers[n % strangers.length]!;
    const result = await store.createConversation({
      conversationId,
      creatorId,
      conversation: {
        kind: 'group',
        memberIds: [...strangers.filter((id) => id !== creatorId), victimId],
      },
      createdAt: 1_000 + n,
      maxMembers: LIMITS.maxGroupMembers,
      caps: UNCAPPED,
    });
    if (result.status !== 'created') throw new Error(`${conversationId} was not created: ${JSON.stringify(result)}`);
    ids.push(conversationId);
  }
  return ids;
}
