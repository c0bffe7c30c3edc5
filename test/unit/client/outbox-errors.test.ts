import { describe, expect, it } from 'vitest';
import { outboxErrorOf } from '../../../sync/client/outbox-inspector.js';

describe("the outbox inspector's last error", () => {
  it('passes codes on: refusal reasons, transfer errors, and failures that may pass', () => {
    expect(outboxErrorOf('failed', 'not_allowed')).toBe('not_allowed');
    expect(outboxErrorOf('failed', 'file_unreadable')).toBe('file_unreadable');
    expect(outboxErrorOf('pending', 'disconnected')).toBe('disconnected');
    expect(outboxErrorOf('pending', 'timeout')).toBe('timeout');
    expect(outboxErrorOf('pending', 'rate_limited')).toBe('rate_limited');
    expect(outboxErrorOf('pending', 'internal')).toBe('server_error');
    expect(outboxErrorOf('pending', null)).toBeNull();
  });

  it('never repeats words: a refusal without a code, or what an older version stored, is summed up', () => {
    expect(outboxErrorOf('failed', 'You may not do that (the server, in English)')).toBe('refused');
    expect(outboxErrorOf('pending', 'Connection lost')).toBe('unknown');
  });
});
