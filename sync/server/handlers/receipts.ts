import { REFUSALS } from '../refusals.js';
import { only, refuse, type FrameOf, type HandlerContext, type HandlerResult } from './handler-result.js';

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
        userIds: result.memberIds,
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
