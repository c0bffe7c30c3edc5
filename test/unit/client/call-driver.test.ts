/**
 * Who may ring this device, and what the call driver does with signals from anyone else
 * (calls/call-driver.ts): the receiving device judges every offer, so a stranger, someone blocked,
 * or one naming a conversation they are not in rings nothing and learns nothing; only this
 * person's own devices stop the ringing; only the device in the call negotiates with it.
 */
import { describe, expect, it } from 'vitest';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { CALL_TIMEOUTS } from '../../../sync/common/call-machine.js';
import { SILENT_LOGGER } from '../../../sync/common/logger.js';
import { CallDriver, type CallFacts } from '../../../sync/client/calls/call-driver.js';
import { routeCallSignal } from '../../../sync/client/calls/call-signal-router.js';
import { encodeCallSignal, type CallSignal } from '../../../sync/content/call-signals.js';
import { handRuntime, settle } from '../../support/hand-runtime.js';

const SELF = 'ann';
const THIS_DEVICE = 1;
const conversations: Record<string, { peer: string | null; request?: boolean }> = {
  'with-bob': { peer: 'bob' },
  'with-carol': { peer: 'carol', request: true },
  'with-mallory': { peer: 'mallory' },
  trip: { peer: null },
};
const facts: CallFacts = {
  peerOf: (id) => conversations[id]?.peer ?? null,
  isRequest: (id) => conversations[id]?.request ?? false,
  isBlocked: (userId) => userId === 'mallory',
  user: (id) => ({ id, username: id, displayName: id.toUpperCase() }),
  groupMembers: (id) => (id === 'trip' ? [SELF, 'bob'] : null),
  direct(id) {
    const peerId = this.peerOf(id);
    return peerId === null ? null : { peerId, blocked: this.isBlocked(peerId), request: this.isRequest(id) };
  },
};

function aDriver() {
  const { runtime, advance } = handRuntime();
  let ids = 0;
  runtime.random.hex = () => `${String(++ids).padStart(4, '0')}${'a'.repeat(28)}`;
  const sent: Array<{ to: readonly string[]; signal: CallSignal }> = [];
  const events: AppEvent[] = [];
  /** What getCall would answer at the moment each 'call' event goes out. */
  const views: Array<ReturnType<CallDriver['view']>> = [];
  const entries: unknown[] = [];
  const driver = new CallDriver({
    runtime,
    selfId: SELF,
    log: SILENT_LOGGER,
    facts,
    inGroupCall: () => false,
    send: async (to, signal) => void sent.push({ to, signal }),
    emit: (event) => {
      events.push(event);
      if (event.type === 'call') views.push(driver.view());
    },
    ended: (conversationId, entry) => entries.push({ conversationId, ...entry }),
  });
  const noGroupCall = { owns: (_signal: CallSignal): _signal is never => false, received: () => {} };
  const receive = (userId: string, deviceNumber: number, signal: CallSignal) =>
    routeCallSignal(
      { oneToOne: driver, group: noGroupCall },
      SILENT_LOGGER,
      { userId, deviceNumber },
      encodeCallSignal(signal),
      THIS_DEVICE,
    );
  return { driver, sent, events, views, entries, receive, advance };
}

const CALL = 'c'.repeat(32);

describe('the call driver', () => {
  it('rings only for the other person of a trusted direct conversation: not a stranger, not someone blocked, not a forged conversation', async () => {
    const { driver, sent, views, receive } = aDriver();
    receive('mallory', 1, { kind: 'call_offer', callId: CALL, conversationId: 'with-mallory', media: 'audio' });
    receive('carol', 1, { kind: 'call_offer', callId: CALL, conversationId: 'with-carol', media: 'audio' });
    receive('carol', 1, { kind: 'call_offer', callId: CALL, conversationId: 'with-bob', media: 'audio' });
    receive('bob', 1, { kind: 'call_offer', callId: CALL, conversationId: 'trip', media: 'audio' });
    // One of this person's own devices cannot ring it either.
    receive(SELF, 2, { kind: 'call_offer', callId: CALL, conversationId: 'with-bob', media: 'audio' });
    await settle();
    expect(driver.view()).toBeNull();
    expect(sent).toEqual([]);

    receive('bob', 3, { kind: 'call_offer', callId: CALL, conversationId: 'with-bob', media: 'video' });
    expect(driver.view()).toMatchObject({
      callId: CALL,
      phase: 'ringing',
      conversationId: 'with-bob',
      peer: { displayName: 'BOB' },
    });
    // Whoever hears of the ring at once can read it whole.
    expect(views).toEqual([driver.view()]);
  });

  it('stops ringing only when this person’s own device says it answered; a signal for another device is dropped', async () => {
    const { driver, receive } = aDriver();
    receive('bob', 3, { kind: 'call_offer', callId: CALL, conversationId: 'with-bob', media: 'audio' });
    receive('bob', 3, { kind: 'call_handled', callId: CALL, outcome: 'answered' });
    receive('bob', 3, { kind: 'call_hang_up', callId: CALL, forDevice: THIS_DEVICE + 1 });
    expect(driver.view()?.phase).toBe('ringing');
    receive(SELF, 2, { kind: 'call_handled', callId: CALL, outcome: 'answered' });
    expect(driver.view()).toMatchObject({ phase: 'ended', ended: { reason: 'answered_elsewhere' } });
  });

  it('takes negotiation only from the device in the call, and passes it to the renderer in order', async () => {
    const { driver, events, sent, receive } = aDriver();
    receive('bob', 3, { kind: 'call_offer', callId: CALL, conversationId: 'with-bob', media: 'audio' });
    await driver.accept(CALL, 'audio');
    expect(sent.map(({ to, signal }) => [to, signal.kind, 'forDevice' in signal ? signal.forDevice : null])).toEqual([
      [['bob'], 'call_answer', 3],
      [[SELF], 'call_handled', null],
    ]);
    const answer = { kind: 'description' as const, type: 'answer' as const, sdp: 'v=0' };
    receive('bob', 4, { kind: 'call_negotiation', callId: CALL, negotiation: answer });
    receive('mallory', 3, { kind: 'call_negotiation', callId: CALL, negotiation: answer });
    receive('bob', 3, { kind: 'call_sending', callId: 'd'.repeat(32), sending: { audio: false, video: false, screen: false } });
    expect(events.filter((event) => event.type === 'call_negotiation')).toEqual([]);
    receive('bob', 3, { kind: 'call_negotiation', callId: CALL, negotiation: answer });
    expect(events.filter((event) => event.type === 'call_negotiation')).toEqual([
      { type: 'call_negotiation', callId: CALL, negotiation: answer },
    ]);
    expect(driver.view()?.peerSending).toEqual({ audio: true, video: false, screen: false });
  });

  it('rings for a minute: "No answer" for the caller, who hangs up, and its entry; "Missed" on a device nobody answered', async () => {
    const caller = aDriver();
    const { callId } = await caller.driver.start('with-bob', 'audio');
    expect(caller.sent.map(({ signal }) => signal.kind)).toEqual(['call_offer']);
    await caller.advance(CALL_TIMEOUTS.ringingMs);
    expect(caller.driver.view()).toMatchObject({ callId, phase: 'ended', ended: { reason: 'no_answer' } });
    expect(caller.sent.map(({ signal }) => signal.kind)).toEqual(['call_offer', 'call_hang_up']);
    expect(caller.entries).toEqual([
      {
        conversationId: 'with-bob',
        callId,
        peerId: 'bob',
        media: 'audio',
        direction: 'outgoing',
        reason: 'no_answer',
        durationMs: null,
      },
    ]);

    const callee = aDriver();
    callee.receive('bob', 3, { kind: 'call_offer', callId: CALL, conversationId: 'with-bob', media: 'audio' });
    await callee.advance(CALL_TIMEOUTS.ringingMs);
    expect(callee.driver.view()).toMatchObject({ phase: 'ended', ended: { reason: 'missed' } });
    expect(callee.sent).toEqual([]);
  });

  it('answers a second ring while in a call with "busy", to the device that rang', async () => {
    const { driver, sent, receive } = aDriver();
    receive('bob', 3, { kind: 'call_offer', callId: CALL, conversationId: 'with-bob', media: 'audio' });
    await driver.accept(CALL, 'audio');
    conversations['with-dave'] = { peer: 'dave' };
    receive('dave', 5, { kind: 'call_offer', callId: 'e'.repeat(32), conversationId: 'with-dave', media: 'audio' });
    await settle();
    expect(sent.at(-1)).toEqual({ to: ['dave'], signal: { kind: 'call_busy', callId: 'e'.repeat(32), forDevice: 5 } });
    expect(driver.view()).toMatchObject({ callId: CALL, phase: 'connecting' });
  });
});
