/**
 * Child process holding many authenticated raw `ws` sockets (lib/raw-client.ts: they answer the
 * server's pings and JSON.parse what arrives, nothing else). Used for the idle connections of the
 * delivery benchmark and for the group members of the group benchmarks, so the benchmark's own
 * process stays free. It notes the monotonic time (process.hrtime: CLOCK_MONOTONIC, the same clock
 * in every process on Linux) at which each socket receives the `event` push of an envelope (a
 * message, sealed), taken in the socket's message handler before JSON.parse.
 *
 * IPC (lib/delivery-kit.ts drives it):
 * - {open, serverUrl, tokens} → {ready, count, ms}
 * - {settle, quietMs} → {settled, frames, ms} once no frame arrived for quietMs (presence fan-out done)
 * - {expect, id, count} → {arrived, id, n, first, last} once `count` sockets have envelope `id`
 * - {send, index, conversationId, id} → {sent, id, at, replyAt}: socket `index` sends an envelope
 *   of a short message's sealed size (lib/raw-envelopes.ts), `id` its client id
 * - {stop}
 * Times are nanoseconds as strings.
 */
import { connectMany, type RawClient } from './raw-client.js';
import { RawEnvelopes, sealedText } from './raw-envelopes.js';
import { quietFor } from './stats.js';

type Command =
  | { type: 'open'; serverUrl: string; tokens: string[] }
  | { type: 'settle'; quietMs: number }
  | { type: 'expect'; id: string; count: number }
  | { type: 'send'; index: number; conversationId: string; id: string }
  | { type: 'stop' };

interface Arrival {
  n: number;
  first: bigint;
  last: bigint;
}

let clients: RawClient[] = [];
/** Each socket's envelopes, once it sent one. */
const senders = new Map<RawClient, RawEnvelopes>();
let frames = 0;
let lastFrameAt = performance.now();
const arrivals = new Map<string, Arrival>();
const expected = new Map<string, number>();

function reply(message: Record<string, unknown>): void {
  process.send?.(message);
}

function report(id: string): void {
  const count = expected.get(id);
  const arrival = arrivals.get(id);
  if (count === undefined || !arrival || arrival.n < count) return;
  expected.delete(id);
  arrivals.delete(id);
  reply({ type: 'arrived', id, n: arrival.n, first: String(arrival.first), last: String(arrival.last) });
}

function listen(client: RawClient): void {
  client.onPush((frame, receivedAt) => {
    frames += 1;
    lastFrameAt = performance.now();
    if (frame.type !== 'event') return;
    // A core's message and a raw socket's alike arrive as an envelope (sealed: these sockets only carry it).
    const event = frame.event as { kind?: string; clientId?: string } | undefined;
    const id = event?.kind === 'envelope' ? event.clientId : undefined;
    if (!id) return;
    const arrival = arrivals.get(id);
    if (arrival) {
      arrival.n += 1;
      if (receivedAt < arrival.first) arrival.first = receivedAt;
      if (receivedAt > arrival.last) arrival.last = receivedAt;
    } else {
      arrivals.set(id, { n: 1, first: receivedAt, last: receivedAt });
    }
    report(id);
  });
}

process.on('message', (message: Command) => {
  switch (message.type) {
    case 'open': {
      const started = performance.now();
      connectMany(message.serverUrl, message.tokens, 32, listen).then(
        (opened) => {
          clients = opened;
          reply({ type: 'ready', count: opened.length, ms: Math.round(performance.now() - started) });
        },
        (error: unknown) => reply({ type: 'failed', error: String(error) }),
      );
      return;
    }
    case 'settle':
      void quietFor(() => lastFrameAt, message.quietMs).then((ms) => reply({ type: 'settled', frames, ms }));
      return;
    case 'expect':
      expected.set(message.id, message.count);
      report(message.id);
      return;
    case 'send': {
      const client = clients[message.index];
      if (!client) {
        reply({ type: 'failed', error: `No socket ${message.index}` });
        return;
      }
      let sender = senders.get(client);
      if (!sender) senders.set(client, (sender = new RawEnvelopes(client)));
      const ciphertext = sealedText();
      // (A socket's first send asks for the devices version before its frame: the warm-up's.)
      const at = process.hrtime.bigint();
      void sender
        .send(message.conversationId, message.id, ciphertext)
        .then((answer) => {
          const replyAt = process.hrtime.bigint();
          if (answer.type !== 'sent') reply({ type: 'failed', error: `send refused: ${JSON.stringify(answer)}` });
          else reply({ type: 'sent', id: message.id, at: String(at), replyAt: String(replyAt) });
        })
        .catch((error: unknown) => reply({ type: 'failed', error: String(error) }));
      return;
    }
    case 'stop':
      for (const client of clients) client.close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
