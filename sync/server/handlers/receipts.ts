import type { WatermarkResult } from '../store/server-store.js';
import { REFUSALS } from '../refusals.js';
import { only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

/** Conversations up to this size tell every member of each watermark that moves. */
const TELL_EVERYONE_UP_TO_MEMBERS = 32;
/** A watermark that passed more events than this is told to every member rather than looked through. */
const MAX_SPAN_LOOKED_THROUGH = 1_000;

/** Delivery and read watermarks: forward only, clamped to lastSeq, read implies delivered (the store keeps those rules). */
export async function receipt(ctx: HandlerContext, frame: FrameOf<'receipt'>): Promise<HandlerResult> {
  const result = await ctx.store.raiseWatermark({
    conversationId: frame.conversationId,
    userId: ctx.user.id,
    kind: frame.kind,
    seq: frame.seq,
  });
  if (!result) return refuse(frame.rid, REFUSALS.conversation_not_found);
  const reply = { type: 'ok', rid: frame.rid } as const;
  if (!result.moved) return only(reply);
  return {
    reply,
    fanout: [
      {
        // The requester too: its own view of the watermark is whatever the server settled on
        // (clamped, never lowered), not what it asked for.
        userIds: await audience(ctx, frame.conversationId, result),
        frame: {
          type: 'watermark',
          conversationId: frame.conversationId,
          userId: ctx.user.id,
          deliveredSeq: result.deliveredSeq,
          readSeq: result.readSeq,
        },
        exceptRequester: false,
      },
    ],
  };
}

/**
 * Who hears a member's watermark move. A watermark changes nothing for anyone but the member's own
 * devices and the authors of the events it passed (the checkmarks of their messages): in a big
 * group it goes to those alone, where telling every member of every member's receipts would be a
 * million pushes a message in a group of 1,000. The others have it from the conversation list when
 * they next connect; a small conversation, or a watermark that passed too much to look through,
 * tells everyone.
 */
async function audience(ctx: HandlerContext, conversationId: string, result: WatermarkResult): Promise<string[]> {
  const { memberIds, before } = result;
  if (memberIds.length <= TELL_EVERYONE_UP_TO_MEMBERS) return memberIds;
  const spans = [
    { from: before.deliveredSeq, to: result.deliveredSeq },
    { from: before.readSeq, to: result.readSeq },
  ].filter(({ from, to }) => to > from);
  if (spans.some(({ from, to }) => to - from > MAX_SPAN_LOOKED_THROUGH)) return memberIds;
  const told = new Set([ctx.user.id]);
  for (const { from, to } of spans) {
    for (const author of await ctx.store.authorsBetween(conversationId, from, to)) told.add(author);
  }
  return memberIds.filter((id) => told.has(id));
}
