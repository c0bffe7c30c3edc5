import type { ConversationEvent, StoredSetting } from '../../sync/protocol/frames.js';
import { foldGroup } from './group-reference.js';
import { blockedBetween } from '../../sync/protocol/settings.js';
import type { SqliteServerStore } from '../../sync/server/store/sqlite-server-store.js';

/**
 * What blocks must hide, worked out apart from what the server marked hidden (events.hidden_from,
 * hidden_events, conversations.hidden_from), so the device invariants, which leave the server's
 * hidden events out of each person's part of the log, rest on more than the server's word. The
 * store is watched as it commits (its SQLite transactions run when a method is called, so call
 * order is commit order): each settings write's stored 'blocked' registers, each conversation's
 * creation, each new event. Replayed in that order by the rules of docs/protocol.md §17:
 * - an envelope stored in a direct conversation while a block stands between the pair (either
 *   way) is hidden from the other person;
 * - an envelope stored in a group is hidden from each member who has blocked its sender then (by
 *   blocks against its sender alone: the server cannot tell a message from a change to one, so it
 *   cannot follow the message a change names); membership and role changes are never hidden;
 * - a direct conversation made while a block stands is kept from the other person until the
 *   block is lifted, or until they start it themselves.
 */

type Commit =
  | { kind: 'settings'; userId: string; stored: readonly StoredSetting[] }
  | { kind: 'direct'; conversationId: string; creatorId: string; otherId: string; created: boolean }
  | { kind: 'event'; event: ConversationEvent };

/** seq → the people an event is hidden from, in id order (only events hidden from someone). */
export type HiddenSeqs = Map<number, string[]>;

export interface BlockExpectations {
  /** conversationId → the events that must be hidden, and from whom. */
  hiddenEvents: Map<string, HiddenSeqs>;
  /** Direct conversationId → the person it must be kept from, or null. */
  keptFrom: Map<string, string | null>;
}

export class BlockReference {
  private readonly commits: { order: number; commit: Commit }[] = [];
  private calls = 0;

  /** Called on each store the server opens (a whole-server restart opens a new one on the same file). */
  watch(store: SqliteServerStore): void {
    const setSettings = store.setSettings.bind(store);
    store.setSettings = (userId, registers, budget) =>
      this.observe(setSettings(userId, registers, budget), (result) =>
        result.status === 'stored' ? { kind: 'settings', userId, stored: result.settings } : null,
      );
    const createConversation = store.createConversation.bind(store);
    store.createConversation = (input) =>
      this.observe(createConversation(input), (result): Commit | null => {
        if (result.status === 'refused') return null;
        if (input.conversation.kind === 'group')
          return result.status === 'created' && result.event ? { kind: 'event', event: result.event } : null;
        return {
          kind: 'direct',
          conversationId: input.conversationId,
          creatorId: input.creatorId,
          otherId: input.conversation.userId,
          created: result.status === 'created',
        };
      });
    const appendGroupChange = store.appendGroupChange.bind(store);
    store.appendGroupChange = (input) =>
      this.observe(appendGroupChange(input), (result) =>
        result.status === 'stored' ? { kind: 'event', event: result.event } : null,
      );
    const appendEnvelope = store.appendEnvelope.bind(store);
    store.appendEnvelope = (input) =>
      this.observe(appendEnvelope(input), (result) =>
        result.status === 'stored' ? { kind: 'event', event: result.event } : null,
      );
  }

  /** Replays every commit so far. */
  expectations(): BlockExpectations {
    const registers = new Map<string, boolean>();
    const stands = (a: string, b: string) =>
      blockedBetween(a, b, (blocker, blocked) => registers.get(`${blocker} ${blocked}`) === true);
    /** Direct conversationId → its pair. */
    const pairs = new Map<string, readonly [string, string]>();
    const keptFrom = new Map<string, string | null>();
    const hiddenEvents = new Map<string, HiddenSeqs>();
    /** Group conversationId → its membership events so far (foldGroup gives its members). */
    const groups = new Map<string, ConversationEvent[]>();
    for (const { commit } of [...this.commits].sort((a, b) => a.order - b.order)) {
      switch (commit.kind) {
        case 'settings': {
          const before = new Map([...pairs].map(([id, [a, b]]) => [id, stands(a, b)]));
          for (const { setting } of commit.stored)
            if (setting.kind === 'blocked') registers.set(`${commit.userId} ${setting.userId}`, setting.value);
          for (const [id, [a, b]] of pairs) if (before.get(id) && !stands(a, b)) keptFrom.set(id, null);
          break;
        }
        case 'direct': {
          const { conversationId, creatorId, otherId } = commit;
          if (commit.created) {
            pairs.set(conversationId, [creatorId, otherId]);
            keptFrom.set(conversationId, stands(creatorId, otherId) ? otherId : null);
          } else if (keptFrom.get(conversationId) === creatorId) {
            keptFrom.set(conversationId, null);
          }
          break;
        }
        case 'event': {
          const { event } = commit;
          const pair = pairs.get(event.conversationId);
          const group = groups.get(event.conversationId) ?? [];
          if (event.kind !== 'envelope') {
            groups.set(event.conversationId, [...group, event]);
            break;
          }
          const hiddenFrom = (
            pair
              ? pair.filter((id) => id !== event.senderId && stands(event.senderId, id))
              : foldGroup(group)
                  .members.map((member) => member.id)
                  .filter((id) => registers.get(`${id} ${event.senderId}`) === true)
          ).sort();
          if (hiddenFrom.length === 0) break;
          const seqs = hiddenEvents.get(event.conversationId) ?? new Map<number, string[]>();
          hiddenEvents.set(event.conversationId, seqs.set(event.seq, hiddenFrom));
          break;
        }
      }
    }
    return { hiddenEvents, keptFrom };
  }

  /** Records what a call committed, in the order of the calls (the transaction ran when it was called). */
  private observe<R>(result: Promise<R>, commitOf: (value: R) => Commit | null): Promise<R> {
    const order = this.calls++;
    result.then(
      (value) => {
        const commit = commitOf(value);
        if (commit) this.commits.push({ order, commit });
      },
      // Nothing committed; the caller hears of the failure from `result` itself.
      () => undefined,
    );
    return result;
  }
}

/** Where the server's hidden events and kept conversations differ from what the blocks say. */
export function checkBlocks(
  expected: BlockExpectations,
  conversationIds: readonly string[],
  server: {
    hiddenEvents(conversationId: string): HiddenSeqs;
    conversationHiddenFrom(conversationId: string): string | null;
  },
): string[] {
  const problems: string[] = [];
  for (const conversationId of conversationIds) {
    const where = conversationId.slice(0, 8);
    const want = expected.hiddenEvents.get(conversationId) ?? new Map<number, string[]>();
    const got = server.hiddenEvents(conversationId);
    const named = (ids: string[] | undefined) => ids?.map((id) => id.slice(0, 8)).join(', ') || 'nobody';
    for (const seq of new Set([...want.keys(), ...got.keys()])) {
      if (named(want.get(seq)) === named(got.get(seq))) continue;
      problems.push(`seq ${seq} of ${where} is hidden from ${named(got.get(seq))}, the blocks say ${named(want.get(seq))}`);
    }
    const kept = expected.keptFrom.get(conversationId) ?? null;
    const keptByServer = server.conversationHiddenFrom(conversationId);
    if (kept !== keptByServer)
      problems.push(
        `${where} is kept from ${keptByServer?.slice(0, 8) ?? 'nobody'}, the blocks say ${kept?.slice(0, 8) ?? 'nobody'}`,
      );
  }
  return problems;
}
