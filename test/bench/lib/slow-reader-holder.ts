/**
 * Child process holding the slow readers of the slow-readers benchmark: sockets that ask for a full
 * catch-up of a large conversation again and again and never read a byte of the answers
 * (test/support/slow-readers.ts). Once all are open, each writes `requestsEach` catch-up requests at
 * once, then one more every `hammerEveryMs` whenever its previous writes have left (the server
 * still reads its input; a paused connection's requests wait in the kernel's buffers). When the
 * server cuts one (it is stuck over its output budget), it opens again a second later and starts over.
 *
 * IPC (slow-readers.ts drives it):
 * - {open, serverUrl, token, conversationId, readers, requestsEach, hammerEveryMs} → {ready, count, ms}
 *   once all are open (they start asking right after)
 * - {stats} → {stats, requests, closes, reopened}
 * - {stop}
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { catchUpFrame, openNonReader, type NonReader } from '../../support/slow-readers.js';

type Command =
  | {
      type: 'open';
      serverUrl: string;
      token: string;
      conversationId: string;
      readers: number;
      requestsEach: number;
      hammerEveryMs: number;
    }
  | { type: 'stats' }
  | { type: 'stop' };

const REOPEN_AFTER_MS = 1_000;

let stopping = false;
let requests = 0;
let closes = 0;
let reopened = 0;
let nextRid = 0;

function reply(message: Record<string, unknown>): void {
  process.send?.(message);
}

type Open = Extract<Command, { type: 'open' }>;

/** Opens a slow reader, again until it opens (the server may be too busy to answer in time). */
async function reopen(open: Open): Promise<NonReader> {
  for (;;) {
    try {
      return await openNonReader(open.serverUrl, open.token);
    } catch {
      await sleep(REOPEN_AFTER_MS);
    }
  }
}

/** One slow reader for as long as the benchmark runs: ask, never read; open again when cut. */
async function keepAsking(open: Open, first: NonReader): Promise<void> {
  let reader = first;
  for (;;) {
    const ask = () => {
      reader.ws.send(catchUpFrame(open.conversationId, `slow-${++nextRid}`));
      requests += 1;
    };
    for (let i = 0; i < open.requestsEach; i += 1) ask();
    const hammer = setInterval(() => {
      if (reader.ws.readyState === WebSocket.OPEN && reader.ws.bufferedAmount === 0) ask();
    }, open.hammerEveryMs);
    await new Promise<void>((resolve) => {
      if (reader.ws.readyState === WebSocket.CLOSED) resolve();
      else reader.ws.once('close', () => resolve());
    });
    clearInterval(hammer);
    if (stopping) return;
    closes += 1;
    await sleep(REOPEN_AFTER_MS);
    reader = await reopen(open);
    reopened += 1;
  }
}

process.on('message', (message: Command) => {
  switch (message.type) {
    case 'open': {
      // All open first, then all ask at once: a burst, not a trickle behind slow handshakes.
      const started = performance.now();
      void Promise.all(Array.from({ length: message.readers }, () => reopen(message))).then((readers) => {
        reply({ type: 'ready', count: readers.length, ms: Math.round(performance.now() - started) });
        for (const reader of readers) void keepAsking(message, reader);
      });
      return;
    }
    case 'stats':
      reply({ type: 'stats', requests, closes, reopened });
      return;
    case 'stop':
      stopping = true;
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
