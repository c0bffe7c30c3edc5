/**
 * A store seeded for tests of many conversations side by side: alice, and people person-1 … person-N,
 * with a direct conversation between her and each.
 */
import { directConversationId } from '../../sync/common/conversation-ids.js';
import { UNCAPPED } from '../../sync/server/store/cap-rules.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';

export const ALICE = 'alice';
export const person = (n: number) => `person-${n}`;
export const conversationWith = (n: number) => directConversationId(ALICE, person(n));

/** from, from + 1, …, to. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** Creates alice, person-1 … person-`people`, and a direct conversation between her and each. */
export async function seedAliceAndPeople(store: ServerStore, people: number): Promise<void> {
  for (const id of [ALICE, ...range(1, people).map(person)]) {
    await store.createUser({ id, username: id, displayName: id, passwordHash: 'hash', createdAt: 1 });
  }
  for (const n of range(1, people)) {
    const created = await store.createConversation({
      conversationId: conversationWith(n),
      creatorId: ALICE,
      conversation: { kind: 'direct', userId: person(n) },
      createdAt: 1,
      maxMembers: 10,
      caps: UNCAPPED,
    });
    if (created.status !== 'created') throw new Error(`The conversation with ${person(n)} was not created: ${created.status}`);
  }
}
