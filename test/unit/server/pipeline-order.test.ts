import { describe, expect, it } from 'vitest';
import type { ClientFrame, ServerFrame } from '../../../sync/protocol/frames.js';
import { PipelineOrder } from '../../../sync/server/pipeline-order.js';

let rids = 0;
const envelope = (clientId: string, after?: string, conversationId = 'c1'): ClientFrame => ({
  type: 'send_envelope',
  rid: `r${++rids}`,
  conversationId,
  clientId,
  ciphertext: 'AAAA',
  devicesVersion: 1,
  ...(after === undefined ? {} : { after }),
});
const addMember = (clientChangeId: string, after?: string): ClientFrame => ({
  type: 'group_change',
  rid: `r${++rids}`,
  conversationId: 'c1',
  clientChangeId,
  change: { kind: 'add_members', userIds: ['carol'] },
  ...(after === undefined ? {} : { after }),
});
const create = (conversationId: string): ClientFrame => ({
  type: 'create_conversation',
  rid: `r${++rids}`,
  conversationId,
  conversation: { kind: 'group', memberIds: [] },
});

const stored: ServerFrame = {
  type: 'sent',
  rid: 'x',
  event: {
    kind: 'envelope',
    conversationId: 'c1',
    seq: 1,
    senderId: 'u',
    senderDevice: 1,
    clientId: 'm',
    ciphertext: 'AAAA',
    attachments: [],
    deleted: false,
    sentAt: 1,
  },
};
const internal: ServerFrame = { type: 'error', rid: 'x', code: 'internal', message: 'try again later' };
const refused: ServerFrame = { type: 'error', rid: 'x', code: 'forbidden', reason: 'not_allowed', message: 'no' };
const devicesChanged: ServerFrame = {
  type: 'error',
  rid: 'x',
  code: 'conflict',
  reason: 'conversation_devices_changed',
  message: 'seal it again',
};

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
        [envelope('m1'), stored],
        [envelope('m2', 'm1'), stored],
        [addMember('g1', 'm2'), stored],
        [envelope('m3', 'g1'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'handled', 'handled']);
  });

  it('refuses everything pipelined behind a transient failure, and the first frame sent again after it starts a new chain', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [envelope('m1'), stored],
        [envelope('m2', 'm1'), internal],
        [envelope('m3', 'm2'), stored],
        [envelope('m4', 'm3'), stored],
        // The client heard of the failure and starts over from m2, naming nothing.
        [envelope('m2'), stored],
        [envelope('m3', 'm2'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'out_of_order', 'out_of_order', 'handled', 'handled']);
  });

  it('refuses what was pipelined behind an envelope sealed for devices that changed: it is sealed and sent again first', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [envelope('m1'), devicesChanged],
        [envelope('m2', 'm1'), stored],
        [envelope('m1'), stored],
        [envelope('m2', 'm1'), stored],
      ]),
    ).toEqual(['handled', 'out_of_order', 'handled', 'handled']);
  });

  it('lets the chain go on past a permanent refusal (that row is failed, not sent again)', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [envelope('m1'), refused],
        [envelope('m2', 'm1'), stored],
      ]),
    ).toEqual(['handled', 'handled']);
  });

  it('refuses a frame whose predecessor it never handled: overtaken on the way, or sent on another connection', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [envelope('m2', 'm1'), stored],
        [envelope('m1'), stored],
        [envelope('m3', 'm2'), stored],
      ]),
    ).toEqual(['out_of_order', 'handled', 'out_of_order']);
  });

  it('refuses a frame naming an earlier frame than the last one handled (a duplicate arriving late)', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [envelope('m1'), stored],
        [envelope('m2', 'm1'), stored],
        [envelope('m3', 'm2'), stored],
        [envelope('m2', 'm1'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'handled', 'out_of_order']);
  });

  it('keeps conversations apart, counts a creation as a predecessor, and ignores frames that are not queued writes', () => {
    const order = new PipelineOrder();
    expect(
      run(order, [
        [create('g1'), stored],
        [envelope('a1'), internal],
        [envelope('g-1', 'g1', 'g1'), stored],
        [{ type: 'ping', rid: 'p' }, internal],
        [envelope('g-2', 'g-1', 'g1'), stored],
        [envelope('a2', 'a1'), stored],
      ]),
    ).toEqual(['handled', 'handled', 'handled', 'handled', 'handled', 'out_of_order']);
  });

  it('remembers a bounded number of conversations, however many made-up ids a connection names, and keeps the busy one', () => {
    const order = new PipelineOrder();
    expect(run(order, [[envelope('b1', undefined, 'busy'), stored]])).toEqual(['handled']);
    for (let i = 0; i < 100_000; i += 1) {
      run(order, [[envelope(`x${i}`, `before-x${i}`, `made-up-${i}`), refused]]);
      // The outbox's own conversation is used all along, so it is never the one forgotten.
      if (i % 100 === 0) expect(run(order, [[envelope(`b${i + 2}`, undefined, 'busy'), stored]])).toEqual(['handled']);
    }
    expect(order.conversationsRemembered).toBe(PipelineOrder.MAX_CONVERSATIONS);
    expect(run(order, [[envelope('b-last', 'b99902', 'busy'), stored]])).toEqual(['handled']);
  });
});
