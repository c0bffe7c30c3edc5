import { describe, expect, it } from 'vitest';
import type { ClientFrame, ServerFrame } from '../../../sync/protocol/frames.js';
import { PipelineOrder } from '../../../sync/server/pipeline-order.js';

let rids = 0;
const send = (clientMessageId: string, after?: string, conversationId = 'c1'): ClientFrame => ({
  type: 'send',
  rid: `r${++rids}`,
  conversationId,
  clientMessageId,
  text: clientMessageId,
  ...(after === undefined ? {} : { after }),
});
const edit = (clientChangeId: string, after?: string): ClientFrame => ({
  type: 'change',
  rid: `r${++rids}`,
  conversationId: 'c1',
  clientChangeId,
  change: { kind: 'edit', messageId: 'm1', text: 'fixed' },
  ...(after === undefined ? {} : { after }),
});
const create = (conversationId: string): ClientFrame => ({
  type: 'create_conversation',
  rid: `r${++rids}`,
  conversationId,
  conversation: { kind: 'group', name: 'Team', memberIds: [] },
});

const stored: ServerFrame = {
  type: 'sent',
  rid: 'x',
  event: { kind: 'delete', conversationId: 'c1', seq: 1, senderId: 'u', sentAt: 1, clientChangeId: 'd', messageId: 'm' },
};
const internal: ServerFrame = { type: 'error', rid: 'x', code: 'internal', message: 'try again later' };
const refused: ServerFrame = { type: 'error', rid: 'x', code: 'invalid', reason: 'no_such_message', message: 'no' };

/** Runs frames through the guard as a connection does: handled ones answered with `outcome`. */
function run(order: PipelineOrder, frames: [ClientFrame, ServerFrame][]): string[] {
  return frames.map(([frame, outcome]) => {
    const refusal = order.refusal(frame);
    if (refusal) return refusal.code;
    order.handled(frame, outcome);
    return 'handled';
  });
}

describe('the pipelining guard of one connection', () => {
  it('handles a chain of frames each naming the one before it', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [send('m1'), stored],
        [send('m2', 'm1'), stored],
        [edit('e1', 'm2'), stored],
        [send('m3', 'e1'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'handled', 'handled']);
  });

  it('refuses everything pipelined behind a transient failure, and the first frame sent again after it starts a new chain', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [send('m1'), stored],
        [send('m2', 'm1'), internal],
        [send('m3', 'm2'), stored],
        [send('m4', 'm3'), stored],
        // The client heard of the failure and starts over from m2, naming nothing.
        [send('m2'), stored],
        [send('m3', 'm2'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'out_of_order', 'out_of_order', 'handled', 'handled']);
  });

  it('lets the chain go on past a permanent refusal (that row is failed, not sent again)', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [send('m1'), refused],
        [send('m2', 'm1'), stored],
      ]),
    ).toEqual(['handled', 'handled']);
  });

  it('refuses a frame whose predecessor it never handled: overtaken on the way, or sent on another connection', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [send('m2', 'm1'), stored],
        [send('m1'), stored],
        [send('m3', 'm2'), stored],
      ]),
    ).toEqual(['out_of_order', 'handled', 'out_of_order']);
  });

  it('refuses a frame naming an earlier frame than the last one handled (a duplicate arriving late)', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [send('m1'), stored],
        [send('m2', 'm1'), stored],
        [send('m3', 'm2'), stored],
        [send('m2', 'm1'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'handled', 'out_of_order']);
  });

  it('keeps conversations apart, counts a creation as a predecessor, and ignores frames that are not queued writes', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [create('g1'), stored],
        [send('a1'), internal],
        [send('g-1', 'g1', 'g1'), stored],
        [{ type: 'ping', rid: 'p' }, internal],
        [send('g-2', 'g-1', 'g1'), stored],
        [send('a2', 'a1'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'handled', 'handled', 'handled', 'out_of_order']);
  });

  it('remembers a bounded number of conversations, however many made-up ids a connection names, and keeps the busy one', () => {
    const order = new PipelineOrder();
    expect(run(order, [[send('b1', undefined, 'busy'), stored]])).toEqual(['handled']);
    for (let i = 0; i < 100_000; i += 1) {
      run(order, [[send(`x${i}`, `before-x${i}`, `made-up-${i}`), refused]]);
      // The outbox's own conversation is used all along, so it is never the one forgotten.
      if (i % 100 === 0) expect(run(order, [[send(`b${i + 2}`, undefined, 'busy'), stored]])).toEqual(['handled']);
    }
    expect(order.conversationsRemembered).toBe(PipelineOrder.MAX_CONVERSATIONS);
    expect(run(order, [[send('b-last', 'b99902', 'busy'), stored]])).toEqual(['handled']);
  });
});
