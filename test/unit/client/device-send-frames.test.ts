import { describe, expect, it } from 'vitest';
import { framesOf } from '../../../sync/client/crypto/device-send-frames.js';
import type { OutgoingRow } from '../../../sync/client/mirror/signal-tables.js';
import type { OutgoingEnvelope } from '../../../sync/protocol/inbox-frames.js';

const envelope = (userId: string, deviceNumber: number, size = 100): OutgoingEnvelope => ({
  userId,
  deviceNumber,
  registrationId: 7,
  kind: 'prekey',
  ciphertext: 'x'.repeat(size),
});

const row = (envelopes: OutgoingEnvelope[], recipients = [...new Set(envelopes.map((e) => e.userId))]): OutgoingRow => ({
  clientId: 'send-1',
  content: new Uint8Array([1]),
  recipients,
  envelopes,
  createdAt: 5,
  handOutFor: 'group-1',
});

const ids = () => {
  let next = 1;
  return () => `new-${next++}`;
};

describe('a device send cut into frames', () => {
  it('stays one frame, as it was, when it fits', () => {
    const send = row([envelope('a', 1), envelope('a', 2), envelope('b', 1)]);
    expect(framesOf(send, ids()).frames).toEqual([send]);
  });

  it('keeps each person whole, at most the envelope limit a frame, the first under the send’s id', () => {
    const send = row(['a', 'b', 'c', 'd'].flatMap((userId) => [envelope(userId, 1), envelope(userId, 2), envelope(userId, 3)]));
    const { frames, tooLarge } = framesOf(send, ids(), { envelopes: 7, bytes: 1_000_000 });
    expect(tooLarge).toEqual([]);
    expect(frames.map((frame) => frame.envelopes.map((e) => `${e.userId}.${e.deviceNumber}`))).toEqual([
      ['a.1', 'a.2', 'a.3', 'b.1', 'b.2', 'b.3'],
      ['c.1', 'c.2', 'c.3', 'd.1', 'd.2', 'd.3'],
    ]);
    expect(frames.map((frame) => frame.clientId)).toEqual(['send-1', 'new-1']);
    expect(frames.map((frame) => frame.recipients)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    // What the send is stays with every frame: the hand-out each is part of, its content and time.
    for (const frame of frames) expect(frame).toMatchObject({ handOutFor: 'group-1', createdAt: 5, content: send.content });
  });

  it('cuts by bytes too', () => {
    const send = row([envelope('a', 1, 400), envelope('b', 1, 400), envelope('c', 1, 400)]);
    const { frames } = framesOf(send, ids(), { envelopes: 100, bytes: 1_000 });
    expect(frames.map((frame) => frame.recipients)).toEqual([['a', 'b'], ['c']]);
  });

  it('names who no frame can carry, and sends the rest', () => {
    const send = row([envelope('a', 1), envelope('huge', 1, 5_000), envelope('b', 1)]);
    const { frames, tooLarge } = framesOf(send, ids(), { envelopes: 100, bytes: 1_000 });
    expect(tooLarge).toEqual(['huge']);
    expect(frames.flatMap((frame) => frame.recipients)).toEqual(['a', 'b']);
  });

  it('keeps people with no device to write to named in the first frame', () => {
    const send = row([envelope('a', 1), envelope('b', 1)], ['a', 'nobody', 'b']);
    const { frames } = framesOf(send, ids(), { envelopes: 1, bytes: 1_000_000 });
    expect(frames.map((frame) => frame.recipients)).toEqual([['a', 'nobody'], ['b']]);
  });
});
