/**
 * Valid call frames (call-frames.ts) for the hostile-input fuzzers: one arbitrary per frame type,
 * keyed by the type as the schema declares it (callFrameTypes() reads them from the schema at run
 * time), so a new call frame cannot be left out; and send_ephemeral frames the schema refuses.
 */
import fc from 'fast-check';
import type { z } from 'zod';
import { callClientFrames } from '../../../sync/protocol/call-frames.js';
import { validRid } from './hostile-input.js';
import type { OutgoingEnvelope } from '../../../sync/protocol/inbox-frames.js';
import { envelopeList, fitsBudget, malformedInboxFrames } from './inbox-frames-input.js';

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

/**
 * send_ephemeral frames the schema refuses, as JSON text, each broken in one way as the device
 * inbox's sends are (malformedInboxFrames: bad base64, over-long ciphertexts, one device twice,
 * numbers out of range, no envelopes or too many), around `envelopes` (well-formed, so that only the
 * break stands between the frame and being forwarded). A break of send_to_devices's own (no client
 * id) is not one here.
 */
export function malformedCallFrames(envelopes: fc.Arbitrary<OutgoingEnvelope>): fc.Arbitrary<string> {
  return malformedInboxFrames(envelopes, fc.constant('1'))
    .map((text) => JSON.parse(text) as Record<string, unknown>)
    .filter((frame) => frame.type === 'send_to_devices' && 'clientId' in frame)
    .map(({ type: _type, clientId: _clientId, ...rest }) => JSON.stringify({ type: 'send_ephemeral', ...rest }));
}
