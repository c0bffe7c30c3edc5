/**
 * Child process for the delivery benchmark: B's client core (the receiving device) and a raw
 * socket (the receiving side of the protocol baseline). It notes the monotonic time
 * (process.hrtime, the same clock in every process on Linux) at which each message becomes
 * visible: for the core, when B's core emits `messages` and the row is in B's mirror; for the raw
 * socket, when the `event` push of the envelope arrives (its client id is the message's id). The
 * parent asks {type:'expect', id} and gets {type:'seen', id, at} (nanoseconds as a string) as soon
 * as that id was seen. B watches every conversation in `conversations` (a direct one, and a group
 * in the group benchmark).
 */
import { openClientCore } from '../../../sync/client/client-core.js';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { MirrorProbe } from './client-profile.js';
import { RawClient } from './raw-client.js';
import { snapshot, stampReceiver, STAMPS_ON } from './delivery-stamps.js';

stampReceiver();

interface Init {
  type: 'init';
  profileDir: string;
  mirrorFile: string;
  serverUrl: string;
  conversations: Array<{ id: string; expectedSeq: number }>;
  /** Y's, for a raw baseline beside B (none in first-message.ts, whose raw floor is its own). */
  rawToken?: string;
}

const seen = new Map<string, bigint>();
/** With DELIVERY_STAMPS=1: B's stage stamps when each id was seen. */
const seenStamps = new Map<string, Record<string, string>>();
const waiters = new Map<string, () => void>();
let core: ClientCore | null = null;
let raw: RawClient | null = null;

function note(id: string, at: bigint): void {
  if (seen.has(id)) return;
  seen.set(id, at);
  if (STAMPS_ON) seenStamps.set(id, snapshot());
  const waiter = waiters.get(id);
  if (waiter) {
    waiters.delete(id);
    waiter();
  }
}

async function init(message: Init): Promise<void> {
  const probe = new MirrorProbe(message.mirrorFile);
  const newer = probe.prepare(
    'SELECT client_message_id AS id, seq FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq',
  );
  /** Per watched conversation: the highest seq already noted. */
  const lastSeq = new Map(message.conversations.map((c) => [c.id, 0]));
  core = await openClientCore({ profileDir: message.profileDir, defaultServerUrl: message.serverUrl });
  core.subscribe((event) => {
    if (event.type !== 'messages') return;
    const from = lastSeq.get(event.conversationId);
    if (from === undefined) return;
    const at = process.hrtime.bigint();
    let highest = from;
    for (const row of newer.all(event.conversationId, from) as Array<{ id: string; seq: number }>) {
      highest = Math.max(highest, row.seq);
      note(row.id, at);
    }
    lastSeq.set(event.conversationId, highest);
  });
  const expected = new Map(message.conversations.map((c) => [c.id, c.expectedSeq]));
  const deadline = Date.now() + 60_000;
  while (!probe.caughtUp(expected) || (await core.getConnectionState()) !== 'online') {
    if (Date.now() > deadline) throw new Error('B did not catch up within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (const c of message.conversations) lastSeq.set(c.id, c.expectedSeq);
  if (message.rawToken) {
    raw = await RawClient.connect(message.serverUrl, message.rawToken);
    raw.onPush((frame, receivedAt) => {
      // X's raw sends arrive as envelopes (sealed for the conversation): Y knows them by their client id.
      const event = frame.event as { kind?: string; clientId?: string } | undefined;
      if (frame.type === 'event' && event?.kind === 'envelope' && event.clientId) note(event.clientId, receivedAt);
    });
  }
  process.send?.({ type: 'ready' });
}

process.on('message', (message: Init | { type: 'expect'; id: string } | { type: 'stop' }) => {
  switch (message.type) {
    case 'init':
      init(message).catch((error: unknown) => {
        process.send?.({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      });
      return;
    case 'expect': {
      const reply = () =>
        process.send?.({ type: 'seen', id: message.id, at: String(seen.get(message.id)), stamps: seenStamps.get(message.id) });
      if (seen.has(message.id)) reply();
      else waiters.set(message.id, reply);
      return;
    }
    case 'stop':
      raw?.close();
      void (core?.close() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
  }
});
process.on('disconnect', () => process.exit(0));
