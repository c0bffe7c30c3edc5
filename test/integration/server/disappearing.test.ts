/**
 * Disappearing messages through a running server: send_envelope takes only the timers a person can
 * choose, attests the one it was sent with back, and the sweep (disappearing-sweep.ts) purges an
 * envelope on the server's injected timers once its timer has run since every member but its sender
 * read it; catch-up serves it deleted, with its timer. (The store's rules: disappearing-store.test.ts.)
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { TimerHandle, Timers } from '../../../sync/common/runtime.js';
import { createServerHarness, envelopesIn, manualRuntime, testOpened, type TestServer } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/** The sweep's interval here: the only timer set for this long, so the test knows it apart from the others. */
const SWEEP_MS = 4_321;
const START = 1_000_000_000;

/**
 * The real runtime with a hand-set clock, whose sweep timer the test fires itself (`sweep`); every
 * other timer is a real one.
 */
function sweptRuntime() {
  const { runtime, clock } = manualRuntime(START);
  const sweeps = new Map<TimerHandle, () => void>();
  const timers: Timers = {
    setTimeout: (callback, delayMs) => {
      if (delayMs !== SWEEP_MS) return runtime.timers.setTimeout(callback, delayMs);
      const handle = {} as TimerHandle;
      sweeps.set(handle, callback);
      return handle;
    },
    clearTimeout: (handle) => {
      if (!sweeps.delete(handle)) runtime.timers.clearTimeout(handle);
    },
  };
  return {
    runtime: { ...runtime, timers },
    /** At `at`, fires the sweep's timer once and waits for its run to finish (it sets the next one). */
    sweep: async (at: number): Promise<void> => {
      await vi.waitFor(() => expect(sweeps.size).toBe(1));
      const [handle, run] = [...sweeps.entries()][0]!;
      sweeps.delete(handle);
      clock.set(at);
      run();
      await vi.waitFor(() => expect(sweeps.size).toBe(1));
    },
  };
}

/** What the server logged of its sweeps at debug level. */
function sweepsLogged(server: TestServer): unknown[] {
  return server.logLines.filter((line) => line.message === 'Swept disappearing envelopes').map((line) => line.fields);
}

describeEachStore('disappearing envelopes', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('refuses a timer that is not one of the choices as a malformed frame, and attests a chosen one back', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const frame = { type: 'send_envelope', conversationId: conversation.id, clientId: 'e', ciphertext: 'AAAA' };
    for (const [index, expiresInMs] of [12_345, 0, -30_000, 30_000.5, '30000', null].entries()) {
      const rid = `bad-timer-${index}`;
      aliceSocket.sendRaw(JSON.stringify({ ...frame, rid, expiresInMs }));
      expect(await aliceSocket.waitForReply(rid)).toMatchObject({ type: 'error', rid, code: 'bad_frame' });
    }

    const sent = await aliceSocket.send(conversation.id, 'e', 'see you never', { expiresInMs: 30_000 });
    expect(sent).toMatchObject({ seq: 1, expiresInMs: 30_000, deleted: false });
    const pushed = await bobSocket.waitForPush('event', (push) => push.event.seq === sent.seq);
    expect(pushed.event).toEqual(sent);
  });

  it('purges an envelope on the injected timer once its timer ran since everyone read it; catch-up serves it deleted', async () => {
    const { runtime, sweep } = sweptRuntime();
    const server = await h.startServer({ runtime, heartbeatMs: 0, sessionRecheckMs: 0, disappearingSweepMs: SWEEP_MS });
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    const timed = await aliceSocket.send(conversation.id, 'timed', 'gone in half a minute', { expiresInMs: 30_000 });
    const kept = await aliceSocket.send(conversation.id, 'kept', 'here to stay');
    await bobSocket.call({ type: 'receipt', conversationId: conversation.id, kind: 'read', seq: kept.seq }, 'ok');

    // The first run finds it read: its half minute runs from then.
    await sweep(START + 1_000);
    expect(sweepsLogged(server)).toEqual([{ stamped: 1, purged: 0 }]);
    await sweep(START + 1_000 + 29_999);
    expect(envelopesIn(await bobSocket.allEvents(conversation.id)).map(testOpened)).toEqual([
      'gone in half a minute',
      'here to stay',
    ]);

    await sweep(START + 1_000 + 30_000);
    expect(sweepsLogged(server)).toEqual([
      { stamped: 1, purged: 0 },
      { stamped: 0, purged: 1 },
    ]);
    const { senderRole: _role, ...attested } = timed;
    for (const socket of [aliceSocket, bobSocket]) {
      expect(envelopesIn(await socket.allEvents(conversation.id))).toEqual([
        { ...attested, ciphertext: '', attachments: [], deleted: true },
        kept,
      ]);
    }
  });
});
