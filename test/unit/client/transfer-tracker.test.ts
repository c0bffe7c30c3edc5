import { describe, expect, it } from 'vitest';
import type { AppEvent, MessageView } from '../../../sync/app-api/contract.js';
import { TransferTracker } from '../../../sync/client/attachments/transfer-tracker.js';
import { messageView } from '../../support/app-views.js';

const key = { conversationId: 'c1', messageId: 'm1', index: 0 };

function view(transfer: MessageView['attachments'][number]['transfer']): MessageView {
  const file = {
    index: 0,
    name: 'a.bin',
    sha256: 'a'.repeat(64),
    size: 1000,
    mime: 'application/octet-stream',
    kind: 'file' as const,
  };
  const me = { id: 'me', username: 'me', displayName: 'Me' };
  return messageView(me, {
    id: 'm1',
    seq: null,
    own: true,
    at: 1,
    status: 'sending',
    attachments: [{ ...file, width: null, height: null, preview: null, durationMs: null, localUrl: null, transfer }],
  });
}

describe('transfer tracker', () => {
  it('reports progress at most five times a second per transfer, and shows a moving transfer as active', () => {
    let now = 0;
    const events: AppEvent[] = [];
    const tracker = new TransferTracker({ now: () => now }, (event) => events.push(event));
    tracker.start(key, 'upload', 100, 1000);
    for (let step = 1; step <= 100; step += 1) {
      now += 10; // one second in all
      tracker.progress(key, 100 + step * 9);
    }
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(events.length).toBeLessThanOrEqual(6);
    expect(events[0]).toEqual({
      type: 'transfer',
      conversationId: 'c1',
      messageId: 'm1',
      index: 0,
      direction: 'upload',
      transferredBytes: 109,
      totalBytes: 1000,
    });

    const queued = {
      direction: 'upload' as const,
      state: 'queued' as const,
      transferredBytes: 100,
      totalBytes: 1000,
      error: null,
    };
    expect(tracker.apply([view(queued)])[0]?.attachments[0]?.transfer).toEqual({
      direction: 'upload',
      state: 'active',
      transferredBytes: 1000,
      totalBytes: 1000,
      error: null,
    });
    tracker.end(key);
    expect(tracker.apply([view(queued)])[0]?.attachments[0]?.transfer).toEqual(queued);
    tracker.progress(key, 5);
    expect(events.length).toBeLessThanOrEqual(6);
  });
});
