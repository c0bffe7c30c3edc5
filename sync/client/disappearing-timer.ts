/**
 * The one timer of disappearing messages (issue 33): armed for the earliest `expires_at` in the
 * mirror, never a poll per message. When it fires, everything due goes (mirror/disappearing.ts),
 * each batch in its own transaction, the files nothing refers to any more are removed from disk,
 * and the conversations that changed are shown again. It is re-armed whenever messages change
 * (a message sent, read, or arriving read already can bring the next expiry closer).
 */
import type { Runtime, TimerHandle } from '../common/runtime.js';
import type { Logger } from '../common/logger.js';
import { errorFields } from '../common/logger.js';
import type { Mirror } from './mirror/mirror.js';

/**
 * Timers further off than this are armed for this long and re-armed then: setTimeout takes no
 * more than 2^31-1 ms, and a 4-week timer is longer.
 */
const LONGEST_WAIT_MS = 24 * 60 * 60 * 1000;

export interface ExpiryDeps {
  mirror: Mirror;
  runtime: Pick<Runtime, 'clock' | 'timers'>;
  /** Removes a stored file by its sha256 (the blob store). */
  discardFile(sha256: string): Promise<void>;
  /** Messages of these conversations went: show them again. */
  onExpired(conversationIds: ReadonlySet<string>, messageIds: ReadonlyMap<string, string[]>): void;
  /** Whose messages are read by whom: this person's id, once signed in (null: nobody's timers run yet). */
  selfId(): string | null;
  log: Logger;
}

export class ExpiryTimer {
  private handle: TimerHandle | null = null;
  /** When the armed timer fires (null: none armed). */
  private armedFor: number | null = null;
  private stopped = false;

  constructor(private readonly deps: ExpiryDeps) {}

  /** Takes away everything due now, then arms for what is next. */
  sweep(): void {
    const selfId = this.deps.selfId();
    if (this.stopped || selfId === null) return;
    const { mirror } = this.deps;
    const conversationIds = new Set<string>();
    const messageIds = new Map<string, string[]>();
    const files: string[] = [];
    for (;;) {
      const expired = mirror.transaction(() => {
        const due = mirror.disappearing.expireDue(selfId);
        for (const [conversationId, ids] of due.messageIds) forgetDraftReply(mirror, conversationId, ids);
        return due;
      });
      if (expired.conversationIds.size === 0) break;
      for (const id of expired.conversationIds) conversationIds.add(id);
      for (const [id, ids] of expired.messageIds) messageIds.set(id, [...(messageIds.get(id) ?? []), ...ids]);
      files.push(...expired.unreferencedFiles);
    }
    for (const sha256 of files) {
      this.deps
        .discardFile(sha256)
        .catch((error: unknown) =>
          this.deps.log.warn(
            'removing the file of a disappeared message failed; the next collection removes it',
            errorFields(error),
          ),
        );
    }
    if (conversationIds.size > 0) {
      this.deps.log.info('disappearing messages went', { messages: [...messageIds.values()].flat().length });
      this.deps.onExpired(conversationIds, messageIds);
    }
    this.rearm();
  }

  /** Arms the timer for the earliest expiry, if that is not what it is armed for already. */
  rearm(): void {
    if (this.stopped) return;
    const next = this.deps.mirror.disappearing.nextExpiry();
    if (next === this.armedFor) return;
    this.clear();
    if (next === null) return;
    const { clock, timers } = this.deps.runtime;
    const wait = Math.min(Math.max(0, next - clock.now()), LONGEST_WAIT_MS);
    this.armedFor = next;
    this.handle = timers.setTimeout(() => {
      this.handle = null;
      this.armedFor = null;
      this.sweep();
    }, wait);
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    if (this.handle) this.deps.runtime.timers.clearTimeout(this.handle);
    this.handle = null;
    this.armedFor = null;
  }
}

/** A draft replying to a message that went replies to nothing now (its words stay). */
function forgetDraftReply(mirror: Mirror, conversationId: string, goneIds: readonly string[]): void {
  const draft = mirror.settings.draft(conversationId);
  if (draft?.replyTo && goneIds.includes(draft.replyTo)) {
    mirror.settings.write({ kind: 'draft', conversationId, value: { text: draft.text, replyTo: null } });
  }
}
