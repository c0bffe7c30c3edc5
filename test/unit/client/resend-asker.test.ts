/**
 * Asking again for envelopes that do not open (crypto/resend-asker.ts) on a hand-driven clock,
 * over a real mirror, with what it would send caught: an envelope asks once it has waited the
 * grace with the inbox read (one a run left waiting, the grace from then), never for this
 * device's own; with no answer in time it shows as undecryptable; an answer counts only from the
 * device that sealed the envelope and only for one asked for; nothing is asked while disconnected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTempMirrorPaths } from '../../support/test-mirror.js';
import { ResendAsker } from '../../../sync/client/crypto/resend-asker.js';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { thisDevice } from '../../../sync/client/crypto/this-device.js';
import { Mirror } from '../../../sync/client/mirror/mirror.js';
import { SILENT_LOGGER } from '../../../sync/common/logger.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { handRuntime } from '../../support/hand-runtime.js';

const signal = await loadSignal();
const paths = createTempMirrorPaths('resend-asker-');
afterEach(() => paths.cleanup());

const person = (id: string) => ({ id, username: id, displayName: id, role: 'member' as const, deliveredSeq: 0, readSeq: 0 });
const timings = { graceMs: 10_000, timeoutMs: 60_000 };

const envelope = (seq: number, senderId = 'peer', senderDevice = 2): EnvelopeEvent => ({
  kind: 'envelope',
  conversationId: 'g',
  seq,
  senderId,
  senderDevice,
  clientId: `m${seq}`,
  ciphertext: 'c2VhbGVk',
  attachments: [],
  deleted: false,
  sentAt: 5000 + seq,
});

async function setUp() {
  const mirror = Mirror.open(paths.path());
  mirror.upsertConversation(
    { id: 'g', kind: 'group', name: 'Trip', isMember: true, createdAt: 1, lastSeq: 0, members: ['me', 'peer'].map(person) },
    'me',
  );
  const { runtime, advance } = handRuntime();
  const identity = signal.IdentityKeyPair.generate();
  const asked: unknown[] = [];
  const shown: Array<[string, number]> = [];
  const asker = new ResendAsker(
    mirror,
    runtime,
    { queueFor: (to, message) => void asked.push({ to, message }) },
    () => thisDevice(mirror, runtime, async () => ({ signal, identity }), 'me', 1),
    'me',
    SILENT_LOGGER,
    timings,
    {
      shown: (conversationId, events) => void shown.push([conversationId, events.length]),
      failed: (error) => {
        throw error;
      },
    },
  );
  return { mirror, advance, asker, asked, shown };
}

const request = (seq: number) => ({
  to: { userId: 'peer', deviceNumber: 2 },
  message: { kind: 'resend_request', conversationId: 'g', clientId: `m${seq}` },
});

describe('asking again for envelopes that do not open', () => {
  it('asks once after the grace, never for its own, and shows what got no answer in time as undecryptable', async () => {
    const { mirror, advance, asker, asked, shown } = await setUp();
    // Waiting from before this connection: one of Peer's, one this device sealed.
    mirror.applyEvents('g', [envelope(1), envelope(2, 'me', 1)], 'me');
    asker.inboxRead();
    await advance(timings.graceMs - 1);
    expect(asked).toEqual([]);
    await advance(1);
    expect(asked).toEqual([request(1)]);

    // One a live run left waiting asks a grace after it came.
    await advance(5_000);
    mirror.applyEvents('g', [envelope(3)], 'me');
    asker.leftWaiting([envelope(3)]);
    await advance(timings.graceMs - 1);
    expect(asked).toHaveLength(1);
    await advance(1);
    expect(asked).toEqual([request(1), request(3)]);

    // No answer: seq 1 gives up a timeout after it asked, seq 3 later; each once.
    await advance(timings.timeoutMs - timings.graceMs - 5_000);
    expect(mirror.views.messagePage('g', 'me', 50).notices.map((notice) => [notice.kind, notice.seq])).toEqual([
      ['undecryptable', 1],
    ]);
    expect(shown).toEqual([['g', 0]]);
    await advance(timings.timeoutMs);
    expect(mirror.views.messagePage('g', 'me', 50).notices.map((notice) => notice.seq)).toEqual([1, 3]);
    expect(asked).toHaveLength(2);
    expect(mirror.resendRequests.of('g').get(1)).toMatchObject({ givenUp: true, askedAt: 10_000 + timings.graceMs });
  });

  it('takes an answer only from the device that sealed the envelope, for one it asked for', async () => {
    const { mirror, advance, asker, shown } = await setUp();
    mirror.applyEvents('g', [envelope(1), envelope(2)], 'me');
    asker.inboxRead();
    const answer = (from: { userId: string; deviceNumber: number }, clientId: string) =>
      asker.answered(from, {
        kind: 'resent_content',
        forDevice: 1,
        conversationId: 'g',
        clientId,
        content: { kind: 'message', text: 'again' },
      });
    // Not asked yet: nothing is taken.
    expect(answer({ userId: 'peer', deviceNumber: 2 }, 'm1')).toBeNull();
    await advance(timings.graceMs);
    expect(answer({ userId: 'peer', deviceNumber: 3 }, 'm1')).toBeNull();
    expect(answer({ userId: 'other', deviceNumber: 2 }, 'm1')).toBeNull();
    expect(answer({ userId: 'peer', deviceNumber: 2 }, 'nothing')).toBeNull();
    const effect = answer({ userId: 'peer', deviceNumber: 2 }, 'm1')!;
    mirror.transaction(() => effect.write());
    effect.told?.();
    expect(mirror.views.messageView('g', 'm1', 'me')?.text).toBe('again');
    expect(shown).toEqual([['g', 1]]);
    // "Cannot" shows it as undecryptable at once.
    const cannot = asker.answered(
      { userId: 'peer', deviceNumber: 2 },
      { kind: 'cannot_resend', forDevice: 1, conversationId: 'g', clientId: 'm2' },
    )!;
    mirror.transaction(() => cannot.write());
    expect(mirror.views.messagePage('g', 'me', 50).notices.map((notice) => [notice.kind, notice.seq])).toEqual([
      ['undecryptable', 2],
    ]);
  });

  it('asks nothing while disconnected', async () => {
    const { mirror, advance, asker, asked } = await setUp();
    mirror.applyEvents('g', [envelope(1)], 'me');
    asker.leftWaiting([envelope(1)]);
    await advance(timings.timeoutMs * 2);
    asker.inboxRead();
    asker.disconnected();
    await advance(timings.timeoutMs * 2);
    expect(asked).toEqual([]);
  });
});
