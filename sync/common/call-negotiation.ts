/**
 * What the two devices of a call tell each other beyond ringing and answering: their peer
 * connections' session descriptions and ICE candidates, and what each side sends (microphone,
 * camera, screen). The renderer makes and reads them; the client core only carries them, inside
 * the pairwise encryption, so here they are judged by shape and size alone.
 *
 * Pure: the renderer, the app API and the client's call signals (content/call-signals.ts) share it.
 */
import { z } from 'zod';

export const CALL_NEGOTIATION_LIMITS = {
  /** An offer or answer with audio, video and their codecs stays well under this. */
  maxSdpChars: 16_000,
  maxCandidateChars: 1_024,
  /** Candidates gathered close together go in one signal. */
  maxCandidatesPerSignal: 32,
} as const;

export const CALL_MEDIA = ['audio', 'video'] as const;
export const callMediaSchema = z.enum(CALL_MEDIA);

/** A call's id: chosen by the calling device, random, and sorted to settle glare (call-machine.ts). */
export const CALL_ID = /^[0-9a-z]{16,64}$/;
export const callIdSchema = z.string().regex(CALL_ID, 'a call id');

const iceCandidateSchema = z
  .object({
    candidate: z.string().max(CALL_NEGOTIATION_LIMITS.maxCandidateChars),
    sdpMid: z.string().max(64).nullable(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable(),
  })
  .strict();
export type CallIceCandidate = z.infer<typeof iceCandidateSchema>;

export const callNegotiationSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('description'),
      type: z.enum(['offer', 'answer']),
      sdp: z.string().min(1).max(CALL_NEGOTIATION_LIMITS.maxSdpChars),
    })
    .strict(),
  z
    .object({
      kind: z.literal('candidates'),
      candidates: z.array(iceCandidateSchema).min(1).max(CALL_NEGOTIATION_LIMITS.maxCandidatesPerSignal),
    })
    .strict(),
]);
export type CallNegotiation = z.infer<typeof callNegotiationSchema>;

/** What one side of a call sends now: the other side shows "muted", the avatar for no camera, the shared screen. */
export const callSendingSchema = z.object({ audio: z.boolean(), video: z.boolean(), screen: z.boolean() }).strict();
export type CallSending = z.infer<typeof callSendingSchema>;

/** What a device in a call sends until it says otherwise: its microphone, and its camera in a video call. */
export const initialSending = (media: z.infer<typeof callMediaSchema>): CallSending => ({
  audio: true,
  video: media === 'video',
  screen: false,
});
