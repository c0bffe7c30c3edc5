/**
 * TURN credentials (server/turn-credentials.ts) as coturn's use-auth-secret checks them: the
 * expected password below was computed apart from this code (Python's hmac module), so the
 * scheme itself is checked, not only that the code agrees with itself.
 */
import { describe, expect, it } from 'vitest';
import { turnCredentials } from '../../../sync/server/turn-credentials.js';

describe('TURN credentials', () => {
  it('names the expiry (unix seconds) and the account, signed with HMAC-SHA1 of the shared secret', () => {
    const config = {
      urls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349'],
      secret: 'north-sea-secret',
      ttlMs: 3_600_000,
    };
    const { iceServer, expiresAt } = turnCredentials(config, '0b8f6c1e-user', 1_700_000_000_400);
    expect(expiresAt).toBe(1_700_003_600_400);
    expect(iceServer).toEqual({
      urls: ['turn:turn.example.org:3478', 'turns:turn.example.org:5349'],
      username: '1700003600:0b8f6c1e-user',
      credential: 'qoUs3wKiWUFw9UhQlALCw8A/mwk=',
    });
  });

  it('differs by account, by time and by secret', () => {
    const config = { urls: ['turn:t:3478'], secret: 's1', ttlMs: 60_000 };
    const base = turnCredentials(config, 'ann', 1_000_000).iceServer;
    expect(turnCredentials(config, 'bob', 1_000_000).iceServer.credential).not.toBe(base.credential);
    expect(turnCredentials(config, 'ann', 2_000_000).iceServer.credential).not.toBe(base.credential);
    expect(turnCredentials({ ...config, secret: 's2' }, 'ann', 1_000_000).iceServer.credential).not.toBe(base.credential);
  });
});
