import type { CallPhase, CallView } from '../../sync/app-api/calls-api.js';
import type { CallEndReason } from '../../sync/common/call-machine.js';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';

/** How a call ended, in words ("Declined", "Answered on another device"). */
export function callEndWords(reason: CallEndReason): string {
  return t.calls.ended[reason];
}

/**
 * The line under the other person's name while the call is not simply going on: "Calling…",
 * "Connecting…", "Reconnecting…", how it ended; null while connected (the duration shows then).
 */
export function callStatusWords(view: Pick<CallView, 'phase' | 'ended'>): string | null {
  const phase: CallPhase = view.phase;
  switch (phase) {
    case 'outgoing':
      return t.calls.calling;
    case 'ringing':
    case 'connecting':
      return t.calls.connecting;
    case 'reconnecting':
      return t.calls.reconnecting;
    case 'connected':
      return null;
    case 'ended':
      return view.ended ? callEndWords(view.ended.reason) : t.calls.ended.completed;
  }
}

/** The name a call shows for a person: their display name, or their username when that is blank. */
export function callName(user: User): string {
  return user.displayName.trim() || user.username;
}
