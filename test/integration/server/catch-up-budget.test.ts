import { afterEach, expect, it } from 'vitest';
import { ENVELOPE_LIMITS } from '../../../sync/protocol/envelope-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { createServerHarness, testSealed } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('catch-up pages of long envelopes', (backend) => {
  const harness = createServerHarness({ backend });
  afterEach(() => harness.cleanup());

  it('are cut short below the byte budget, and the rest follows on the next pages', async () => {
    const server = await harness.startServer();
    const { aliceSocket, bobSocket, conversation } = await harness.pair(server);
    // As long as an envelope may be once sealed (base64 grows it by a third).
    const longText = 'x'.repeat(Math.floor((ENVELOPE_LIMITS.maxCiphertextChars * 3) / 4) - 100);
    expect(testSealed(longText).length).toBeLessThanOrEqual(ENVELOPE_LIMITS.maxCiphertextChars);
    const count = 80; // 80 × ~56,000 chars ≈ 4.5 MB of ciphertext: more than two pages' budget
    for (let i = 0; i < count; i += 1) await aliceSocket.send(conversation.id, `long-${i}`, longText);
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
    expect(pages).toBeGreaterThan(2);
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  });
});
