import { describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { parseEvent } from '../../../renderer/transport/bridge.js';

/** The browser bridge checks every pushed event against the contract's schema before the store sees it. */
describe('events through the browser host’s bridge', () => {
  it('takes settings events from the browser host’s bridge, checking their shape', () => {
    expect(parseEvent({ type: 'settings', conversationIds: ['c1', 'c2'] })).toEqual({
      type: 'settings',
      conversationIds: ['c1', 'c2'],
    });
    expect(parseEvent({ type: 'settings', conversationIds: [1] })).toBeNull();
    expect(parseEvent({ type: 'settings' })).toBeNull();
  });

  it('takes every kind of event from the browser host’s bridge (outbox, transfer, a role changed: none may be dropped)', () => {
    // A Record over every AppEvent type: a new kind fails to compile here until it has a sample.
    const samples: { [K in AppEvent['type']]: Extract<AppEvent, { type: K }> } = {
      connection: { type: 'connection', state: 'online' },
      session: {
        type: 'session',
        session: { serverUrl: 'http://127.0.0.1:7878', user: { id: 'u1', username: 'ann', displayName: 'Ann' } },
      },
      conversations: { type: 'conversations' },
      core_state: { type: 'core_state' },
      account_keys: { type: 'account_keys' },
      preferences: { type: 'preferences' },
      outbox: { type: 'outbox' },
      messages: { type: 'messages', conversationId: 'c1' },
      incoming: { type: 'incoming', conversationId: 'c1', messageId: 'm1' },
      open_conversation: { type: 'open_conversation', conversationId: 'c1' },
      activity: { type: 'activity', conversationId: 'c1' },
      settings: { type: 'settings', conversationIds: ['c1'] },
      conversation_info: { type: 'conversation_info', conversationId: 'c1' },
      transfer: {
        type: 'transfer',
        conversationId: 'c1',
        messageId: 'm1',
        index: 0,
        direction: 'upload',
        transferredBytes: 10,
        totalBytes: 20,
      },
      call: { type: 'call' },
      missed_call: { type: 'missed_call', conversationId: 'c1', callId: 'c'.repeat(32), media: 'audio' },
      call_negotiation: {
        type: 'call_negotiation',
        callId: 'a'.repeat(32),
        negotiation: {
          kind: 'candidates',
          candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 }],
        },
      },
      call_restart_ice: { type: 'call_restart_ice', callId: 'a'.repeat(32) },
      group_call: { type: 'group_call' },
      group_call_started: { type: 'group_call_started', conversationId: 'g1', callId: 'd'.repeat(32), media: 'video' },
      group_call_negotiation: {
        type: 'group_call_negotiation',
        callId: 'a'.repeat(32),
        from: { userId: 'u2', deviceNumber: 2 },
        participantKey: 'u2.2#1',
        negotiation: { kind: 'description', type: 'answer', sdp: 'v=0' },
      },
    };
    for (const sample of Object.values(samples)) expect(parseEvent(JSON.parse(JSON.stringify(sample)))).toEqual(sample);
    expect(parseEvent({ type: 'conversation_info' })).toBeNull();
    expect(parseEvent({ ...samples.transfer, direction: 'sideways' })).toBeNull();
    expect(parseEvent({ type: 'session', session: { serverUrl: 'x', user: { id: 'u1' } } })).toBeNull();
    expect(
      parseEvent({ ...samples.call_negotiation, negotiation: { kind: 'description', type: 'offer', sdp: 'x'.repeat(20_000) } }),
    ).toBeNull();
    expect(parseEvent({ type: 'no_such_event' })).toBeNull();
    expect(parseEvent('outbox')).toBeNull();
  });
});
