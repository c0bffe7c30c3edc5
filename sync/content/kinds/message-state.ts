/**
 * Every kind of content that changes a message's state, declared once: the unions, the outbox's
 * payload and the rules are built from this list, so a new kind is one module and one entry here.
 */
import { z } from 'zod';
import type { ContentRefusal, ContentSender } from '../content-sender.js';
import type { MessageStateKind, MessageStateTarget } from './message-state-kind.js';
import { pollEndKind, pollEndSchema, pollVoteKind, pollVoteSchema } from './poll.js';
import { locationMoveKind, locationMoveSchema, locationStopKind, locationStopSchema } from './location.js';

export const messageStateContentSchema = z.discriminatedUnion('kind', [
  pollVoteSchema,
  pollEndSchema,
  locationMoveSchema,
  locationStopSchema,
]);
export type MessageStateContent = z.infer<typeof messageStateContentSchema>;
export type MessageStateContentKind = MessageStateContent['kind'];

const KINDS: { [K in MessageStateContentKind]: MessageStateKind<Extract<MessageStateContent, { kind: K }>> } = {
  poll_vote: pollVoteKind,
  poll_end: pollEndKind,
  location_move: locationMoveKind,
  location_stop: locationStopKind,
};

export function messageStateKind(kind: MessageStateContentKind): MessageStateKind<MessageStateContent> {
  return KINDS[kind];
}

export function isMessageStateContent<C extends { kind: string }>(content: C): content is C & MessageStateContent {
  return Object.hasOwn(KINDS, content.kind);
}

export function refuseMessageState(
  content: MessageStateContent,
  sender: ContentSender,
  target: MessageStateTarget | null,
): ContentRefusal | null {
  if (!target) return 'no_such_message';
  return messageStateKind(content.kind).refuse(content, sender, target);
}
