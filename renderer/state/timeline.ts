/** The open conversation's history as shown: messages and membership notices in one order. */
import type { MessageView, NoticeView } from '../../sync/app-api/contract.js';

export type TimelineEntry = { kind: 'message'; message: MessageView } | { kind: 'notice'; notice: NoticeView };

/**
 * Messages (already in display order: by seq, unsent last) and notices (by seq) merged by seq;
 * unsent messages stay last.
 */
export function timeline(messages: readonly MessageView[], notices: readonly NoticeView[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let next = 0;
  for (const message of messages) {
    const seq = message.seq ?? Number.POSITIVE_INFINITY;
    while (next < notices.length && notices[next]!.seq < seq) entries.push({ kind: 'notice', notice: notices[next++]! });
    entries.push({ kind: 'message', message });
  }
  while (next < notices.length) entries.push({ kind: 'notice', notice: notices[next++]! });
  return entries;
}
