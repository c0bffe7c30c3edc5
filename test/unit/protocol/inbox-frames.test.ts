/** How a send's addressing is judged against a person's devices (both stores and the client judge by it), and what a send may hold. */
import { describe, expect, it } from 'vitest';
import { clientFrameSchema } from '../../../sync/protocol/frames.js';
import { deviceMismatches, INBOX_LIMITS } from '../../../sync/protocol/inbox-frames.js';

const to = (userId: string, deviceNumber: number, registrationId: number) => ({ userId, deviceNumber, registrationId });

describe('device mismatches', () => {
  const current = new Map([
    [
      'ann',
      [
        { deviceNumber: 1, registrationId: 11 },
        { deviceNumber: 3, registrationId: 13 },
      ],
    ],
    ['ben', [{ deviceNumber: 2, registrationId: 22 }]],
  ]);

  it('finds nothing when every person named is addressed on exactly their devices', () => {
    expect(deviceMismatches([to('ann', 3, 13), to('ben', 2, 22), to('ann', 1, 11)], current)).toEqual([]);
  });

  it('names, per person, the devices left out, those that are gone, and those a new device took over, in number order', () => {
    expect(
      deviceMismatches([to('ann', 3, 99), to('ann', 7, 17), to('ann', 5, 15), to('ben', 2, 22), to('cy', 1, 1)], current),
    ).toEqual([
      { userId: 'ann', missing: [1], extra: [5, 7], stale: [3] },
      { userId: 'cy', missing: [], extra: [1], stale: [] },
    ]);
  });
});

describe('send_to_devices', () => {
  const envelope = { userId: 'ann', deviceNumber: 1, registrationId: 11, kind: 'prekey', ciphertext: 'AAAA' };
  const parse = (envelopes: unknown[]) =>
    clientFrameSchema.safeParse({ type: 'send_to_devices', rid: 'r', clientId: 'c', envelopes });

  it('takes one envelope per device, base64, up to the limit', () => {
    expect(parse([envelope, { ...envelope, deviceNumber: 2 }]).success).toBe(true);
    expect(
      parse(Array.from({ length: INBOX_LIMITS.maxEnvelopesPerSend }, (_, i) => ({ ...envelope, userId: `u${i}` }))).success,
    ).toBe(true);
  });

  it('refuses two envelopes for one device, none, too many, a kind it does not know, and what is not base64', () => {
    expect(parse([envelope, envelope]).success).toBe(false);
    expect(parse([]).success).toBe(false);
    expect(
      parse(Array.from({ length: INBOX_LIMITS.maxEnvelopesPerSend + 1 }, (_, i) => ({ ...envelope, userId: `u${i}` }))).success,
    ).toBe(false);
    expect(parse([{ ...envelope, kind: 'sender_key' }]).success).toBe(false);
    expect(parse([{ ...envelope, ciphertext: 'AAA=AAAA' }]).success).toBe(false);
    expect(parse([{ ...envelope, deviceNumber: 128 }]).success).toBe(false);
  });
});
