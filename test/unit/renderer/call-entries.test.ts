/**
 * A call's entry in words, from each side (issue 32): the words exactly in English, and
 * every language words every case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CallEntryView } from '../../../sync/app-api/calls-api.js';
import { CALL_OUTCOMES } from '../../../sync/common/call-entry.js';
import { callEntryWords } from '../../../renderer/format/call-entry.js';
import { noticeText } from '../../../renderer/format/notices.js';
import { setLanguage } from '../../../renderer/i18n/index.js';
import { alice, notice } from './fake-api.js';

afterEach(() => setLanguage('en'));

const call = (overrides: Partial<CallEntryView>): CallEntryView => ({
  callId: 'c'.repeat(32),
  media: 'audio',
  outcome: 'completed',
  durationMs: 192_000,
  outgoing: true,
  ...overrides,
});

describe('call entries in words', () => {
  it('say a connected call and how long it lasted alike on both sides: m:ss, and h:mm:ss past the hour', () => {
    for (const outgoing of [true, false]) {
      expect(callEntryWords(call({ outgoing }))).toEqual({ text: 'Voice call, 3:12', detail: null, callBack: false });
      expect(callEntryWords(call({ outgoing, media: 'video', durationMs: 3_725_400 })).text).toBe('Video call, 1:02:05');
      expect(callEntryWords(call({ outgoing, outcome: 'connection_lost', durationMs: 5_000 }))).toEqual({
        text: 'Voice call, 0:05',
        detail: 'Connection lost',
        callBack: false,
      });
    }
  });

  it('tell the caller how a call nobody answered ended', () => {
    expect(callEntryWords(call({ outcome: 'no_answer', durationMs: null })).text).toBe('No answer');
    expect(callEntryWords(call({ outcome: 'declined', durationMs: null })).text).toBe('Declined');
    expect(callEntryWords(call({ outcome: 'busy', durationMs: null })).text).toBe('Busy');
    expect(callEntryWords(call({ outcome: 'failed', durationMs: null })).text).toBe('Call failed');
    expect(callEntryWords(call({ media: 'video', outcome: 'cancelled', durationMs: null }))).toEqual({
      text: 'Video call',
      detail: 'Cancelled',
      callBack: false,
    });
  });

  it('tell the callee a call that rang unanswered was missed, with "Call back"; one they declined is declined', () => {
    for (const outcome of ['cancelled', 'no_answer', 'busy'] as const) {
      expect(callEntryWords(call({ outgoing: false, outcome, durationMs: null }))).toEqual({
        text: 'Missed voice call',
        detail: null,
        callBack: true,
      });
      expect(callEntryWords(call({ outgoing: false, media: 'video', outcome, durationMs: null })).text).toBe('Missed video call');
    }
    expect(callEntryWords(call({ outgoing: false, outcome: 'declined', durationMs: null }))).toEqual({
      text: 'Declined',
      detail: null,
      callBack: false,
    });
    // Answered, but the media never came: not missed.
    expect(callEntryWords(call({ outgoing: false, outcome: 'failed', durationMs: null })).callBack).toBe(false);
  });

  it('say where a group call began, alike for who started it and everyone else, never as missed', () => {
    for (const outgoing of [true, false]) {
      expect(callEntryWords(call({ outgoing, media: 'video', outcome: 'group_started', durationMs: null }))).toEqual({
        text: 'Video call started',
        detail: null,
        callBack: false,
      });
    }
  });

  it('are the notice’s words', () => {
    const entry = notice({ seq: 4, kind: 'call_ended', actor: alice, subjects: [], call: call({ outgoing: false }) });
    expect(noticeText(entry)).toBe('Voice call, 3:12');
  });

  it('are worded in every language, for every outcome from both sides', () => {
    for (const language of ['uk', 'ru'] as const) {
      setLanguage(language);
      expect(callEntryWords(call({ outgoing: false, outcome: 'no_answer', durationMs: null })).text).not.toBe(
        'Missed voice call',
      );
      for (const outcome of CALL_OUTCOMES) {
        for (const outgoing of [true, false]) {
          const words = callEntryWords(call({ outcome, outgoing }));
          expect(words.text.length).toBeGreaterThan(0);
          expect(words.text).not.toMatch(/[A-Za-z]/);
        }
      }
    }
  });
});
