import type { Content } from '../../sync/content/content.js';
import { eventOfContent, eventOfDeletedEnvelope } from '../../sync/content/events.js';
import type { ConversationEvent } from '../../sync/protocol/frames.js';
import type { AppliedEvent } from '../../sync/content/opened-events.js';

/**
 * The server's log with each sealed envelope turned back into the event it carries, so the
 * references fold what was said. The server cannot read an envelope; the simulation learns what
 * one said from the device that sealed it (what it kept of each acknowledged send,
 * mirror/sent-content.ts), never from a device that opened it, so devices are still checked
 * against something other than themselves. An envelope deleted for everyone kept nothing to
 * learn: it is a deleted message, as devices show it.
 */

/** What the envelope `clientId` of `senderId` said in the conversation, from the sender's devices; null when none kept it. */
export type SentContentOf = (senderId: string, conversationId: string, clientId: string) => Content | null;

export function openLog(
  events: readonly ConversationEvent[],
  contentOf: SentContentOf,
): { events: AppliedEvent[]; problems: string[] } {
  const problems: string[] = [];
  const opened = events.map((event): AppliedEvent => {
    if (event.kind !== 'envelope') return event;
    if (event.deleted) return eventOfDeletedEnvelope(event);
    const where = `envelope ${event.clientId} (seq ${event.seq} of ${event.conversationId.slice(0, 8)})`;
    const content = contentOf(event.senderId, event.conversationId, event.clientId);
    if (!content) {
      problems.push(`${where}: no device of its sender kept what it said`);
      return event;
    }
    // The uploads outside the seal are what the server lets members download: the files the content names.
    const named = content.kind === 'message' ? (content.attachments ?? []).map((file) => file.id) : [];
    if (named.join(' ') !== event.attachments.join(' '))
      problems.push(`${where} refers to uploads [${event.attachments.join(' ')}], its content names [${named.join(' ')}]`);
    return eventOfContent(event, content);
  });
  return { events: opened, problems };
}
