/**
 * Child process for the calls benchmark: the callee's client core (its own device, as in
 * lib/delivery-peer.ts) and the receiving raw socket of the baseline. It notes the monotonic time
 * (process.hrtime, the same clock in every process on Linux) at which
 * - the core emits the `{type:'call'}` event after which getCall() says the call rings here: what
 *   the renderer's "Incoming call" dialog waits for (reported as {type:'ringing', callId, at});
 * - the raw socket receives the `ephemeral_push` carrying a given ciphertext ({type:'pushed', id, at}).
 * A call that ended here is dismissed at once, and the parent told ({type:'ended', callId}).
 */
import { openClientCore } from '../../../sync/client/client-core.js';
import type { ClientCore } from '../../../sync/client/client-core-types.js';
import { callStamps, stampCallee } from './call-stamps.js';
import { RawClient } from './raw-client.js';

stampCallee();

type Message =
  | { type: 'init'; profileDir: string; serverUrl: string; username: string; password: string; rawToken: string }
  | { type: 'accept'; conversationId: string }
  | { type: 'stop' };

let core: ClientCore | null = null;
let raw: RawClient | null = null;
const reported = new Set<string>();
const send = (message: Record<string, unknown>) => process.send?.(message);

async function init(message: Extract<Message, { type: 'init' }>): Promise<void> {
  core = await openClientCore({ profileDir: message.profileDir, defaultServerUrl: message.serverUrl });
  const opened = core;
  opened.subscribe((event) => {
    if (event.type !== 'call') return;
    const at = process.hrtime.bigint();
    // Read after the emit returns, as the renderer does (over IPC): the driver emits an incoming
    // ring before it has noted the call's conversation, so a read inside the emit finds none.
    queueMicrotask(
      () =>
        void opened.getCall().then(async (call) => {
          if (!call) return;
          if (call.phase === 'ringing' && !reported.has(`ringing ${call.callId}`)) {
            reported.add(`ringing ${call.callId}`);
            const stamps = Object.fromEntries(Object.entries(callStamps).map(([stage, ns]) => [stage, String(ns)]));
            send({ type: 'ringing', callId: call.callId, at: String(at), stamps });
          }
          if (call.phase === 'ended' && !reported.has(`ended ${call.callId}`)) {
            reported.add(`ended ${call.callId}`);
            await opened.dismissCall({ callId: call.callId });
            send({ type: 'ended', callId: call.callId });
          }
        }),
    );
  });
  await opened.createAccount({
    serverUrl: message.serverUrl,
    username: message.username,
    displayName: 'Bob',
    password: message.password,
  });
  await until(async () => (await opened.getConnectionState()) === 'online', 'online');
  raw = await RawClient.connect(message.serverUrl, message.rawToken);
  raw.onPush((frame, at) => {
    if (frame.type !== 'ephemeral_push') return;
    for (const envelope of frame.envelopes as Array<{ ciphertext: string }>) {
      send({ type: 'pushed', id: envelope.ciphertext.slice(0, 32), at: String(at) });
    }
  });
  const session = await opened.getSession();
  send({ type: 'ready', userId: session!.user.id, deviceNumber: raw.deviceNumber });
}

/** Accepts the conversation (a message request to Bob) and writes in it, so both sides have talked. */
async function accept(conversationId: string): Promise<void> {
  const opened = core!;
  await until(
    async () => (await opened.listConversations({ folder: 'all' })).some((c) => c.id === conversationId),
    'the conversation arrives',
  );
  const conversation = (await opened.listConversations({ folder: 'all' })).find((c) => c.id === conversationId)!;
  if (conversation.request) await opened.answerRequest({ conversationId, answer: 'accept' });
  await opened.sendMessage({ conversationId, text: 'hello' });
  await until(
    async () => (await opened.listMessages({ conversationId, limit: 10 })).messages.every((m) => m.status !== 'sending'),
    'the message sent',
  );
  send({ type: 'accepted' });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`call-peer: ${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

process.on('message', (message: Message) => {
  const fail = (error: unknown) =>
    send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  switch (message.type) {
    case 'init':
      init(message).catch(fail);
      return;
    case 'accept':
      accept(message.conversationId).catch(fail);
      return;
    case 'stop':
      raw?.close();
      void (core?.close() ?? Promise.resolve()).finally(() => process.exit(0));
      return;
  }
});
