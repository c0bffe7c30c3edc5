/**
 * A device send cut into the frames the server takes (a sender key handed to the 1,999 other
 * devices of a 1,000-member group is far more than one frame holds): at most
 * INBOX_LIMITS.maxEnvelopesPerSend envelopes and LIMITS.maxFrameBytes each, a person's devices
 * always in one frame, since the server takes a send for all of a person's devices or none.
 */
import { INBOX_LIMITS, type OutgoingEnvelope } from '../../protocol/inbox-frames.js';
import { LIMITS } from '../../protocol/limits.js';
import type { OutgoingRow } from '../mirror/signal-tables.js';

/** Room in a frame for what is not an envelope: its type, request id, client id and brackets. */
const FRAME_OVERHEAD_BYTES = 512;

export interface DeviceSendFrames {
  /** The send as frames, in order: the first keeps its client id, each other has a new one, so each is stored once. */
  frames: OutgoingRow[];
  /** People whose devices' envelopes alone outgrow a frame: no frame can carry them. */
  tooLarge: string[];
}

export function framesOf(
  row: OutgoingRow,
  newClientId: () => string,
  limits: { envelopes: number; bytes: number } = {
    envelopes: INBOX_LIMITS.maxEnvelopesPerSend,
    bytes: LIMITS.maxFrameBytes - FRAME_OVERHEAD_BYTES,
  },
): DeviceSendFrames {
  const people = new Map<string, { envelopes: OutgoingEnvelope[]; bytes: number }>();
  for (const envelope of row.envelopes) {
    const person = people.get(envelope.userId) ?? { envelopes: [], bytes: 0 };
    person.envelopes.push(envelope);
    person.bytes += Buffer.byteLength(JSON.stringify(envelope)) + 1;
    people.set(envelope.userId, person);
  }
  const tooLarge: string[] = [];
  const frames: OutgoingEnvelope[][] = [[]];
  let bytes = 0;
  for (const [userId, person] of people) {
    if (person.envelopes.length > limits.envelopes || person.bytes > limits.bytes) {
      tooLarge.push(userId);
      continue;
    }
    const current = frames[frames.length - 1]!;
    if (current.length + person.envelopes.length > limits.envelopes || bytes + person.bytes > limits.bytes) {
      frames.push([...person.envelopes]);
      bytes = person.bytes;
    } else {
      current.push(...person.envelopes);
      bytes += person.bytes;
    }
  }
  // Those with no envelope (no device to write to) stay named in the first frame, as they were in the send.
  const unaddressed = row.recipients.filter((userId) => !people.has(userId));
  return {
    frames: frames.map((envelopes, index) => ({
      ...row,
      clientId: index === 0 ? row.clientId : newClientId(),
      recipients: [...new Set([...envelopes.map((envelope) => envelope.userId), ...(index === 0 ? unaddressed : [])])],
      envelopes,
    })),
    tooLarge,
  };
}
