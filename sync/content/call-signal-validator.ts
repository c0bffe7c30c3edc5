/**
 * The call signals a ring and its answer carry, checked by hand: zod (call-signals.ts, the one
 * source of truth) took as long as anything of ours between a ring's push and the callee's
 * "Incoming call". A signal passes here only when zod would take it exactly as it is: every field
 * valid and none that zod would drop. Anything else (the negotiation, the group's signals, a field
 * too many, anything invalid) is left to zod, whose answer then stands. So the result is zod's,
 * always; test/unit/content/call-signal-validator.test.ts checks that against zod.
 */
import { CALL_ID, CALL_MEDIA } from '../common/call-negotiation.js';
import { isDeviceNumber, isId } from '../protocol/wire-types.js';

type Json = Record<string, unknown>;

const isCallId = (value: unknown): boolean => typeof value === 'string' && CALL_ID.test(value);
const isMedia = (value: unknown): boolean => (CALL_MEDIA as readonly unknown[]).includes(value);

/** Whether `signal` has exactly `fields` keys besides an optional, valid `forDevice`. */
function hasFieldsAndForDevice(signal: Json, fields: number): boolean {
  const forDevice = 'forDevice' in signal;
  if (forDevice && !isDeviceNumber(signal.forDevice)) return false;
  return Object.keys(signal).length === fields + (forDevice ? 1 : 0);
}

/** Whether zod would take `json` as a call signal exactly as it is; false leaves it to zod. */
export function isHotCallSignal(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const signal = json as Json;
  if (!isCallId(signal.callId)) return false;
  switch (signal.kind) {
    case 'call_offer':
      return Object.keys(signal).length === 4 && isId(signal.conversationId) && isMedia(signal.media);
    case 'call_answer':
      return isMedia(signal.media) && hasFieldsAndForDevice(signal, 3);
    case 'call_decline':
    case 'call_busy':
    case 'call_hang_up':
      return hasFieldsAndForDevice(signal, 2);
    case 'call_handled':
      return Object.keys(signal).length === 3 && (signal.outcome === 'answered' || signal.outcome === 'declined');
    default:
      return false;
  }
}
