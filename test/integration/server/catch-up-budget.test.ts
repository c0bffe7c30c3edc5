import { afterEach, expect, it } from 'vitest';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { createServerHarness } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('catch-up pages of long messages', (backend) => {
  const harness = createServerHarness({ backend });
  afterEach(() => harness.cleanup());

  it('are cut short below the byte budget, and the rest follows on the next pages', async () => {
    const server = await harness.startServer();
    const { aliceSocket, bobSocket, conversation } = await harness.pair(server);
    const longText = 'x'.repeat(LIMITS.maxMessageChars);
    const count = 120; // 120 × 10,000 chars ≈ 1.2 MB of text, 3.6 MB by the worst-case estimate
    for (let i = 0; i < count; i += 1) {
      await aliceSocket.call(
        { type: 'send', conversationId: conversation.id, clientMessageId: `long-${i}`, text: longText },
        'sent',
      );
    }
    const seen: number[] = [];
    let afterSeq = 0;
    let pages = 0;
    for (;;) {
      const page = await bobSocket.call(
        { type: 'catch_up', conversationId: conversation.id, afterSeq, limit: LIMITS.maxCatchUpPage },
        'events',
      );
      pages += 1;
      expect(JSON.stringify(page).length).toBeLessThan(LIMITS.maxServerFrameBytes);
      seen.push(...page.events.map((event) => event.seq));
      if (!page.hasMore) break;
      afterSeq = page.events.at(-1)!.seq;
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });
});
