/**
 * A kind of content that changes a message without being one (a vote, a poll's end, and next a
 * live location's move): declared once as one of these, it is sealed, queued, held for its message,
 * judged and kept by the same generic code (message-state.ts lists them; the mirror keeps their
 * values in one table, by message, kind and holder).
 */
import type { z } from 'zod';
import type { PollDefinition } from '../../common/polls.js';
import type { LocationDefinition } from '../../common/locations.js';
import type { ContentRefusal, ContentSender } from '../content-sender.js';

/** What is known here about the message such content names, as of its seq. */
export interface MessageStateTarget {
  authorId: string;
  deleted: boolean;
  /** The message's poll, when it is one. */
  poll: PollDefinition | null;
  /** The message's location, when it is one; looked up only for what depends on it (an edit, a move, a stop). */
  location?: LocationDefinition | null;
  /** Whether the message is a sticker; looked up only for an edit (a sticker has no text to edit). */
  sticker?: boolean;
}

export interface MessageStateKind<C extends { kind: string; messageId: string }> {
  schema: z.ZodType<C>;
  /** Whose value it is: each sender keeps their own (a vote), or the message has one (an end). */
  holder: 'sender' | 'message';
  /**
   * Which of two values for the same holder stands: by seq, the latest (a changed vote) or the
   * first (an end); or the one whose `at` is newest (a live location's move, whose author's clock
   * orders them, seq breaking a tie).
   */
  keeps: 'latest' | 'first' | 'newest_at';
  /** null when it takes effect; else why every receiving device drops it. */
  refuse(content: C, sender: ContentSender, target: MessageStateTarget): ContentRefusal | null;
  /** What the mirror keeps of it (JSON). */
  value(content: C): Record<string, unknown>;
}
