/**
 * Valid call frames (call-frames.ts) for the hostile-input fuzzers: one arbitrary per frame type,
 * keyed by the type as the schema declares it (callFrameTypes() reads them from the schema at run
 * time), so a new call frame cannot be left out.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { callClientFrames } from '../../../sync/protocol/call-frames.js';
import { validRid } from './hostile-input.js';

export type CallFrameType = (typeof callClientFrames)[number]['shape']['type']['value'];
export type CallFrame = z.infer<(typeof callClientFrames)[number]>;

export function callFrameTypes(): string[] {
  return callClientFrames.map((frame) => frame.shape.type.value);
}

export function validCallFrames(): Record<CallFrameType, fc.Arbitrary<CallFrame>> {
  return {
    fetch_turn_credentials: fc.record({ type: fc.constant('fetch_turn_credentials' as const), rid: validRid }),
  };
}
