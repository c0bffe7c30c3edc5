import { expect } from 'vitest';
import { eventually, type TestCore } from '../../support/client-harness.js';
import type { ServerSnapshot } from '../../support/db-invariants.js';
import { acceptedBy } from '../../support/people.js';

export interface TrianglePerson {
  name: string;
  core: TestCore;
  userId: string;
  conversations: string[];
  /** conversationId → the ids of the messages this person composed there, in the order written. */
  composed: Map<string, string[]>;
}

/** messageId (the client id its envelope carries) → the text its sender composed. */
export type ComposedTexts = Map<string, string>;

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
      people[index]!.composed.set(id, []);
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

/** The text of a person's n-th message in a conversation (n from 1). */
export const composedText = (name: string, n: number) => `${name}:${String(n).padStart(4, '0')}`;

/** Sends the person's next message into a conversation and notes its id and text. */
export async function composeNext(person: TrianglePerson, conversationId: string, texts: ComposedTexts): Promise<void> {
  const ids = person.composed.get(conversationId)!;
  const text = composedText(person.name, ids.length + 1);
  const { id } = await person.core.sendMessage({ conversationId, text });
  ids.push(id);
  texts.set(id, text);
}

/**
 * What every member of a conversation must show: the server's sealed log in seq order, each
 * envelope by (seq, client id, sender), with the text its sender composed (the server cannot know it).
 */
export function expectedView(snapshot: ServerSnapshot, conversationId: string, texts: ComposedTexts) {
  return snapshot.events
    .filter((e) => e.conversationId === conversationId)
    .map((e) => [e.seq, e.clientId, e.senderId, texts.get(e.clientId) ?? `(never composed: ${e.clientId})`]);
}

/** Where a person's list differs from the expected view (the first few places), and both lengths. */
async function differences(person: TrianglePerson, conversationId: string, expected: unknown[][]) {
  const shown = (await person.core.listMessages({ conversationId, limit: 1000 })).messages.map((m) => [
    m.seq,
    m.id,
    m.senderId,
    m.text,
  ]);
  const differing = [];
  for (let i = 0; i < Math.max(shown.length, expected.length) && differing.length < 5; i += 1) {
    if (JSON.stringify(shown[i]) !== JSON.stringify(expected[i])) differing.push({ shown: shown[i], expected: expected[i] });
  }
  return { shown: shown.length, expected: expected.length, differing };
}

/** Waits until each person shows, in each of their conversations, exactly the expected view. */
export async function expectConverged(
  people: TrianglePerson[],
  readServer: () => ServerSnapshot,
  texts: ComposedTexts,
  context: string,
  timeoutMs: number,
): Promise<void> {
  for (const person of people) {
    for (const conversationId of person.conversations) {
      await eventually(
        () => differences(person, conversationId, expectedView(readServer(), conversationId, texts)),
        (found) => found.differing.length === 0,
        `${person.name} shows the server's log of ${conversationId} with the composed texts (${context})`,
        timeoutMs,
      );
    }
  }
}

/** Everything each person composed is on the server once, as an envelope, in the order it was written. */
export function expectComposedOnceInOrder(people: TrianglePerson[], snapshot: ServerSnapshot, context: string): void {
  for (const person of people) {
    for (const conversationId of person.conversations) {
      const stored = snapshot.events.filter((e) => e.conversationId === conversationId && e.senderId === person.userId);
      expect(
        stored.map((e) => [e.kind, e.clientId]),
        `${person.name} in ${conversationId}, ${context}`,
      ).toEqual(person.composed.get(conversationId)!.map((id) => ['envelope', id]));
    }
  }
}
