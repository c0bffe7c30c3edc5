import { eventually, type TestCore } from '../../support/client-harness.js';
import { acceptedBy } from '../../support/people.js';

export interface TrianglePerson {
  name: string;
  core: TestCore;
  conversations: string[];
  /** How many messages this person has composed in each conversation. */
  composed: Map<string, number>;
}

/** Three people, each in a conversation with the other two; waits until everyone sees both. */
export async function connectTriangle(people: TrianglePerson[]): Promise<void> {
  for (const [from, to] of [
    [0, 1],
    [1, 2],
    [2, 0],
  ] as const) {
    const { id } = await people[from]!.core.startConversation({ username: people[to]!.name });
    for (const index of [from, to]) {
      people[index]!.conversations.push(id);
      people[index]!.composed.set(id, 0);
    }
  }
  // They know each other: each accepts the conversation the other started.
  for (const person of people) {
    for (const conversationId of person.conversations) await acceptedBy(person.core, conversationId);
    await eventually(
      () => person.core.listConversations(),
      (list) => list.length === 2,
      `${person.name} has both conversations`,
    );
  }
}
