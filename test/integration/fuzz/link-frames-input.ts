/**
 * Linking frames (link-frames.ts) for the hostile-input fuzzers: one valid arbitrary per frame
 * type, keyed by the type as the schema declares it (linkFrameTypes() reads them from the schema at
 * run time, so a new linking frame cannot be left out).
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { LINK_LIMITS, linkClientFrames } from '../../../sync/protocol/link-frames.js';
import { validId, validRid } from './hostile-input.js';

export type LinkFrameType = (typeof linkClientFrames)[number]['shape']['type']['value'];
export type LinkFrame = z.infer<(typeof linkClientFrames)[number]>;

export function linkFrameTypes(): string[] {
  return linkClientFrames.map((frame) => frame.shape.type.value);
}

const handOver = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 3, maxLength: 900 }).map((bytes) => Buffer.from(bytes).toString('base64')) },
  // Exactly at the cap: 12,000 bytes make 16,000 characters of base64.
  { weight: 1, arbitrary: fc.constant(Buffer.alloc((LINK_LIMITS.maxHandOverChars / 4) * 3, 7).toString('base64')) },
);

/** One valid frame per linking frame type, naming devices of `deviceNumbers`. */
export function validLinkFrames(deviceNumbers: fc.Arbitrary<number>): Record<LinkFrameType, fc.Arbitrary<LinkFrame>> {
  return {
    describe_own_device: fc.record({
      type: fc.constant('describe_own_device' as const),
      rid: validRid,
      deviceNumber: deviceNumbers,
    }),
    link_device: fc.record({
      type: fc.constant('link_device' as const),
      rid: validRid,
      clientId: validId,
      deviceNumber: deviceNumbers,
      handOver,
    }),
  };
}
