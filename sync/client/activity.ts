import type { PresenceView } from '../app-api/contract.js';
import type { Runtime, TimerHandle } from '../common/runtime.js';
import type { PresencePush } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';

/**
 * Ephemeral signals: who is typing where, and who is online. Held in memory only, never in the
 * mirror or the outbox; typing expires on its own, and everything is forgotten when the connection
 * drops (stale "online" is worse than none).
 */
export class ActivityTracker {
  private readonly typing = new Map<string, Map<string, TimerHandle>>();
  private readonly presence = new Map<string, PresenceView>();

  constructor(
    private readonly runtime: Runtime,
    /** Something changed for this conversation's activity. */
    private readonly changed: (conversationId: string) => void,
    private readonly conversationsWith: (userId: string) => string[],
  ) {}

  typingSeen(conversationId: string, userId: string): void {
    const people = this.typing.get(conversationId) ?? new Map<string, TimerHandle>();
    const previous = people.get(userId);
    if (previous) this.runtime.timers.clearTimeout(previous);
    people.set(
      userId,
      this.runtime.timers.setTimeout(() => this.typingStopped(conversationId, userId), LIMITS.typingTtlMs),
    );
    this.typing.set(conversationId, people);
    if (!previous) this.changed(conversationId);
  }

  /** Their message arrived: they are no longer typing it. */
  typingStopped(conversationId: string, userId: string): void {
    const people = this.typing.get(conversationId);
    const timer = people?.get(userId);
    if (!people || !timer) return;
    this.runtime.timers.clearTimeout(timer);
    people.delete(userId);
    if (people.size === 0) this.typing.delete(conversationId);
    this.changed(conversationId);
  }

  typingIn(conversationId: string): string[] {
    return [...(this.typing.get(conversationId)?.keys() ?? [])];
  }

  presenceSeen(push: PresencePush): void {
    this.presence.set(push.userId, { online: push.online, lastSeenAt: push.lastSeenAt });
    for (const conversationId of this.conversationsWith(push.userId)) this.changed(conversationId);
  }

  presenceOf(userId: string): PresenceView | null {
    return this.presence.get(userId) ?? null;
  }

  clear(): void {
    const affected = new Set<string>(this.typing.keys());
    for (const people of this.typing.values()) for (const timer of people.values()) this.runtime.timers.clearTimeout(timer);
    this.typing.clear();
    for (const userId of this.presence.keys()) for (const id of this.conversationsWith(userId)) affected.add(id);
    this.presence.clear();
    for (const conversationId of affected) this.changed(conversationId);
  }
}
