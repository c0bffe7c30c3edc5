/**
 * The open conversation's history as the rows the windowed list draws: day separators, the
 * "Unread messages" divider, membership notices and messages, each with a key that stays the
 * same while the window grows and shrinks around it (the list keeps its place by these keys).
 */
import type { MessageView, NoticeView } from '../../sync/app-api/contract.js';
import { sameDay } from '../format/time.js';
import { timeline, type TimelineEntry } from './timeline.js';

/** Messages from one sender closer together than this form one visual group. */
const GROUP_GAP_MS = 5 * 60 * 1000;

export type MessageRow =
  | { kind: 'day'; key: string; at: number }
  | { kind: 'unread'; key: string }
  | { kind: 'notice'; key: string; notice: NoticeView }
  | { kind: 'message'; key: string; message: MessageView; groupStart: boolean };

const at = (entry: TimelineEntry) => (entry.kind === 'message' ? entry.message.at : entry.notice.at);

/**
 * `unreadAfterSeq`: the divider goes before the first message from someone else numbered after
 * it (null or beyond every message: no divider).
 */
export function messageRows(
  messages: readonly MessageView[],
  notices: readonly NoticeView[],
  unreadAfterSeq: number | null,
): MessageRow[] {
  const rows: MessageRow[] = [];
  let previous: TimelineEntry | undefined;
  let divided = unreadAfterSeq === null;
  for (const entry of timeline(messages, notices)) {
    const newDay = !previous || !sameDay(at(previous), at(entry));
    // Keyed by the day itself, so it keeps its key when older messages of that day are loaded.
    if (newDay) rows.push({ kind: 'day', key: `day-${new Date(at(entry)).toDateString()}`, at: at(entry) });
    switch (entry.kind) {
      case 'notice':
        rows.push({ kind: 'notice', key: `notice-${entry.notice.seq}`, notice: entry.notice });
        break;
      case 'message': {
        const { message } = entry;
        if (!divided && !message.own && message.seq !== null && message.seq > unreadAfterSeq!) {
          rows.push({ kind: 'unread', key: 'unread' });
          divided = true;
        }
        const before = previous?.kind === 'message' ? previous.message : undefined;
        const groupStart = newDay || !before || before.senderId !== message.senderId || message.at - before.at > GROUP_GAP_MS;
        rows.push({ kind: 'message', key: message.id, message, groupStart });
        break;
      }
      default: {
        const unknown: never = entry;
        throw new Error(`unknown timeline entry ${JSON.stringify(unknown)}`);
      }
    }
    previous = entry;
  }
  return rows;
}
