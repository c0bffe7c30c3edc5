/**
 * The client core's part of the app API about calls (app-api/calls-api.ts and group-calls-api.ts):
 * each method hands its arguments to the signed-in session's call drivers. The core spreads it in
 * (client-core.ts: apiParts).
 */
import { AppApiError, type AppApi } from '../../app-api/contract.js';
import type { callsApiArgs } from '../../app-api/calls-api.js';
import type { groupCallsApiArgs } from '../../app-api/group-calls-api.js';
import type { SessionCalls } from '../calls/session-calls.js';

export type CallsApi = Pick<AppApi, keyof typeof callsApiArgs | keyof typeof groupCallsApiArgs>;

/** The app API's calls over `calls`, the signed-in session's (null while signed out). */
export function callsApi(calls: () => SessionCalls | null): CallsApi {
  const session = (): SessionCalls => {
    const current = calls();
    if (!current) throw new AppApiError('not_signed_in', 'Log in first.');
    return current;
  };
  const oneToOne = () => session().oneToOne;
  const group = () => session().group;
  return {
    startCall: async ({ conversationId, media }) => oneToOne().start(conversationId, media),
    acceptCall: async ({ callId, media }) => oneToOne().accept(callId, media),
    declineCall: async ({ callId }) => oneToOne().decline(callId),
    hangUpCall: async ({ callId }) => oneToOne().hangUp(callId),
    dismissCall: async ({ callId }) => oneToOne().dismiss(callId),
    getCall: async () => calls()?.oneToOne.view() ?? null,
    sendCallNegotiation: async ({ callId, negotiation }) => oneToOne().negotiate(callId, negotiation),
    reportCallMedia: async ({ callId, status }) => oneToOne().mediaReport(callId, status),
    setCallSending: async ({ callId, sending }) => oneToOne().sendingChanged(callId, sending),
    getCallIceServers: async () => calls()?.iceServers() ?? [],
    joinGroupCall: async ({ conversationId, media }) => group().join(conversationId, media),
    leaveGroupCall: async ({ callId }) => group().leave(callId),
    getGroupCalls: async () => calls()?.group.view() ?? { going: [], joined: null },
    sendGroupCallNegotiation: async ({ callId, participantKey, negotiation }) =>
      group().negotiate(callId, participantKey, negotiation),
    setGroupCallSending: async ({ callId, sending }) => group().sendingChanged(callId, sending),
  };
}
