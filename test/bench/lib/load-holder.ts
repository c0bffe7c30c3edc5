/**
 * Child process for the sustained benchmark: many authenticated raw `ws` sockets (lib/raw-client.ts),
 * each a user with one direct conversation, that send messages at a steady rate (envelopes of a
 * short message's sealed size, lib/raw-envelopes.ts: what the server gets from a client) and note
 * every envelope push they receive. Several of these run side by side (sustained.ts decides how
 * many), so that no one event loop holds every socket.
 *
 * Like the app's clients (sync-engine.ts), a socket acknowledges what it receives: RECEIPT_COALESCE_MS
 * after an envelope push, one delivery receipt up to the newest envelope it got in that time. The
 * server stores it and tells both people (a `watermark` push), so each message costs the servers a
 * receipt too, as it does in use.
 *
 * Each send is timed with process.hrtime (CLOCK_MONOTONIC, the same clock in every process on
 * Linux) just before its frame is written, and its `sent` reply when it comes back; each push when
 * its frame arrives (before JSON.parse). The parent joins sends and pushes of all holders by id.
 *
 * IPC (sustained.ts drives it):
 * - {open, sockets: [{url, token, user, peer, conversationId}], concurrency} → {ready, count, ms}
 * - {settle, quietMs} → {settled, frames, ms} once no frame arrived for quietMs
 * - {run, perSecond, durationMs} → {ran, sent, ms, maxLagMs}: sends from random sockets of this
 *   holder, paced so that by each moment of the run `perSecond` × elapsed have gone out
 * - {progress} → {progress, replied, pushes}
 * - {collect} → {collected, sends, pushes, closes, receipts}: everything noted since the last collect
 *   (times as nanosecond strings; receipts as counts by answer), then forgotten, so each load window
 *   is collected on its own
 * - {stop}
 */
import { randomUUID } from 'node:crypto';
import { RawClient } from './raw-client.js';
import { RawEnvelopes, sealedText } from './raw-envelopes.js';
import { quietFor } from './stats.js';

export interface LoadSocket {
  url: string;
  token: string;
  /** The user's index among the seeded users. */
  user: number;
  /** The other member of the conversation, who should get the push. */
  peer: number;
  conversationId: string;
}

/** [envelope's clientId, from user, to user, sent at, reply at or null, reply type or null] */
export type SendRecord = [string, number, number, string, string | null, string | null];
/** [envelope's clientId, at user, arrived at] */
export type PushRecord = [string, number, string];

export type LoadHolderCommand =
  | { type: 'open'; sockets: LoadSocket[]; concurrency: number }
  | { type: 'settle'; quietMs: number }
  | { type: 'run'; perSecond: number; durationMs: number }
  | { type: 'progress' }
  | { type: 'collect' }
  | { type: 'stop' };

/** The receipts that were answered, counted by answer (`ok`, or the error's code). */
export type ReceiptCounts = Record<string, number>;

export type LoadHolderReply =
  | { type: 'ready'; count: number; ms: number }
  | { type: 'settled'; frames: number; ms: number }
  | { type: 'ran'; sent: number; ms: number; maxLagMs: number }
  | { type: 'progress'; replied: number; pushes: number }
  | { type: 'collected'; sends: SendRecord[]; pushes: PushRecord[]; closes: Record<string, number>; receipts: ReceiptCounts }
  | { type: 'failed'; error: string };

/** As the app's sync engine waits before it acknowledges what arrived. */
const RECEIPT_COALESCE_MS = 50;

const clients: Array<{ socket: LoadSocket; client: RawClient; envelopes: RawEnvelopes }> = [];
const sends: SendRecord[] = [];
const pushes: PushRecord[] = [];
/** Close codes of sockets the server closed, and how many times. */
const closes: Record<string, number> = {};
let receipts: ReceiptCounts = {};
/** Replies to this window's sends (a late reply to an earlier window's send does not count). */
let replied = 0;
/** Which window the sends belong to: collect starts the next. */
let window = 0;
let frames = 0;
let lastFrameAt = performance.now();
let stopping = false;

function reply(message: LoadHolderReply): void {
  process.send?.(message);
}

async function open(sockets: LoadSocket[], concurrency: number): Promise<void> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < sockets.length) {
      const socket = sockets[next++]!;
      const client = await RawClient.connect(socket.url, socket.token, 60_000);
      const acknowledge = receiptsFor(socket, client);
      client.onPush((frame, receivedAt) => {
        frames += 1;
        lastFrameAt = performance.now();
        const event = frame.event as { kind?: string; clientId?: string; seq?: number } | undefined;
        if (frame.type === 'event' && event?.kind === 'envelope' && event.clientId) {
          pushes.push([event.clientId, socket.user, String(receivedAt)]);
          if (event.seq !== undefined) acknowledge(event.seq);
        }
      });
      // The devices version now, so that no timed send waits for it.
      const envelopes = new RawEnvelopes(client);
      await envelopes.learn(socket.conversationId);
      client.onClose((code) => {
        if (!stopping) closes[code] = (closes[code] ?? 0) + 1;
      });
      clients.push({ socket, client, envelopes });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sockets.length) }, worker));
  reply({ type: 'ready', count: clients.length, ms: Math.round(performance.now() - started) });
}

/** A socket's delivery receipts: the newest seq received, sent RECEIPT_COALESCE_MS after the first push not yet acknowledged. */
function receiptsFor(socket: LoadSocket, client: RawClient): (seq: number) => void {
  let newest = 0;
  let timer: NodeJS.Timeout | null = null;
  return (seq) => {
    newest = Math.max(newest, seq);
    timer ??= setTimeout(() => {
      timer = null;
      void client
        .request({ type: 'receipt', conversationId: socket.conversationId, kind: 'delivered', seq: newest })
        .then((answer) => {
          const outcome = answer.type === 'error' ? String(answer.code) : answer.type;
          receipts[outcome] = (receipts[outcome] ?? 0) + 1;
        });
    }, RECEIPT_COALESCE_MS);
  };
}

function send(): void {
  const { socket, envelopes } = clients[Math.floor(Math.random() * clients.length)]!;
  const id = randomUUID();
  const ciphertext = sealedText();
  const record: SendRecord = [id, socket.user, socket.peer, '', null, null];
  const sentInWindow = window;
  sends.push(record);
  record[3] = String(process.hrtime.bigint());
  void envelopes.send(socket.conversationId, id, ciphertext).then(
    (answer) => {
      record[4] = String(process.hrtime.bigint());
      record[5] = answer.type === 'error' ? `error ${String(answer.code)}` : answer.type;
      if (sentInWindow === window) replied += 1;
    },
    (error: unknown) => reply({ type: 'failed', error: String(error) }),
  );
}

/** Paced sends: every tick sends what is due by now, so a late tick catches up instead of lowering the rate. */
function run(perSecond: number, durationMs: number): void {
  const started = performance.now();
  const total = Math.round((perSecond * durationMs) / 1000);
  let sent = 0;
  let maxLagMs = 0;
  const tick = () => {
    const elapsed = performance.now() - started;
    const due = Math.min(total, Math.floor((elapsed * perSecond) / 1000));
    // How late the oldest due send goes out: this event loop's own delay, which the figures include.
    if (due > sent) maxLagMs = Math.max(maxLagMs, elapsed - (sent * 1000) / perSecond);
    while (sent < due) {
      send();
      sent += 1;
    }
    if (sent < total) setTimeout(tick, 1);
    else reply({ type: 'ran', sent, ms: Math.round(performance.now() - started), maxLagMs: Math.round(maxLagMs * 10) / 10 });
  };
  tick();
}

process.on('message', (message: LoadHolderCommand) => {
  switch (message.type) {
    case 'open':
      open(message.sockets, message.concurrency).catch((error: unknown) => reply({ type: 'failed', error: String(error) }));
      return;
    case 'settle':
      void quietFor(() => lastFrameAt, message.quietMs).then((ms) => reply({ type: 'settled', frames, ms }));
      return;
    case 'run':
      run(message.perSecond, message.durationMs);
      return;
    case 'progress':
      reply({ type: 'progress', replied, pushes: pushes.length });
      return;
    case 'collect':
      reply({ type: 'collected', sends: sends.splice(0), pushes: pushes.splice(0), closes: { ...closes }, receipts });
      receipts = {};
      replied = 0;
      window += 1;
      for (const code of Object.keys(closes)) delete closes[code];
      return;
    case 'stop':
      stopping = true;
      for (const { client } of clients) client.close();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
