/**
 * Valid call frames (call-frames.ts) for the hostile-input fuzzers: one arbitrary per frame type,
 * keyed by the type as the schema declares it (callFrameTypes() reads them from the schema at run
 * time), so a new call frame cannot be left out.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { callClientFrames } from '../../../sync/protocol/call-frames.js';
import { validRid } from './hostile-input.js';
import { envelopeList, fitsBudget } from './inbox-frames-input.js';

export type CallFrameType = (typeof callClientFrames)[number]['shape']['type']['value'];
export type CallFrame = z.infer<(typeof callClientFrames)[number]>;

export function callFrameTypes(): string[] {
  return callClientFrames.map((frame) => frame.shape.type.value);
}

/** One valid frame per call frame type; ephemeral envelopes go to `userIds`. */
export function validCallFrames(userIds: fc.Arbitrary<string>): Record<CallFrameType, fc.Arbitrary<CallFrame>> {
  return {
    fetch_turn_credentials: fc.record({ type: fc.constant('fetch_turn_credentials' as const), rid: validRid }),
    send_ephemeral: fc
      .record({ type: fc.constant('send_ephemeral' as const), rid: validRid, envelopes: envelopeList(userIds) })
      .filter(fitsBudget),
  };
}
