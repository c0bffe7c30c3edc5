/** A call's entry in the conversation in words, from this person's side (issue 32). */
import type { CallEntryView } from '../../sync/app-api/calls-api.js';
import { isMissedCall } from '../../sync/common/call-entry.js';
import { formatCallDuration } from '../calls/duration.js';
import { t } from '../i18n/index.js';

export interface CallEntryWords {
  /** "Voice call, 3:12", "Missed video call", "No answer"… */
  text: string;
  /** A second line ("Cancelled", "Connection lost"), or null. */
  detail: string | null;
  /** A missed call offers "Call back". */
  callBack: boolean;
}

/**
 * The caller wrote the entry with what it saw; the callee reads a call that rang unanswered as
 * missed. A call that was connected reads alike on both sides, with how long it lasted.
 */
export function callEntryWords(call: CallEntryView): CallEntryWords {
  const words = t.calls.entry;
  const kind = call.media === 'video' ? words.video : words.voice;
  const lasted = call.durationMs === null ? kind : words.withDuration(kind, formatCallDuration(call.durationMs));
  const plain = (text: string, detail: string | null = null): CallEntryWords => ({ text, detail, callBack: false });
  if (!call.outgoing && isMissedCall(call.outcome)) {
    return { text: call.media === 'video' ? words.missedVideo : words.missedVoice, detail: null, callBack: true };
  }
  switch (call.outcome) {
    case 'completed':
      return plain(lasted);
    case 'cancelled':
      return plain(kind, words.cancelled);
    case 'declined':
      return plain(words.declined);
    case 'no_answer':
      return plain(words.noAnswer);
    case 'busy':
      return plain(words.busy);
    case 'failed':
      return plain(words.failed);
    case 'connection_lost':
      return call.durationMs === null ? plain(words.failed) : plain(lasted, words.connectionLost);
    case 'group_started':
      return plain(words.groupStarted(kind));
  }
}
