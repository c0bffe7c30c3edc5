/**
 * Pipelined envelopes on one connection (`after` in frames.ts): the server handles them in order and
 * refuses, without storing anything, every frame pipelined behind one that failed, so a retry can
 * never be overtaken by an envelope written after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../../sync/protocol/frames.js';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { failingEnvelopes, onceForClientIds } from '../../support/failing-store.js';
import { createGroup, createServerHarness, testOpened, testSealed, type TestClient } from '../../support/server-harness.js';

const harness = createServerHarness();
const stores: ServerStore[] = [];
afterEach(async () => {
  await harness.cleanup();
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** A server whose store fails the first attempt of each envelope with one of `clientIds`. */
async function serverFailingOnce(...clientIds: string[]) {
  const dataDir = await harness.tempDir();
  const store = openSqliteServerStore(dataDir);
  stores.push(store);
  return harness.startServer({ dataDir, store: failingEnvelopes(store, onceForClientIds(...clientIds)) });
}

const outcome = (reply: ServerFrame) => (reply.type === 'error' ? reply.code : reply.type);

/**
 * Sends the envelopes at once, each under its text as client id, sealed for `devicesVersion` (learnt
 * beforehand: learning it from a refusal in between would break the chain).
 */
function sendAll(socket: TestClient, conversationId: string, devicesVersion: number, frames: { text: string; after?: string }[]) {
  return Promise.all(
    frames.map(({ text, after }) =>
      socket.request({
        type: 'send_envelope',
        conversationId,
        clientId: text,
        ciphertext: testSealed(text),
        devicesVersion,
        ...(after ? { after } : {}),
      }),
    ),
  );
}

async function storedTexts(socket: TestClient, conversationId: string): Promise<string[]> {
  const page = await socket.call({ type: 'catch_up', conversationId, afterSeq: 0 }, 'events');
  return page.events.map((event) => (event.kind === 'envelope' ? testOpened(event) : event.kind));
}

describe('pipelined envelopes', () => {
  it('are stored in order when each names the one before it', async () => {
    const server = await harness.startServer();
    const { aliceSocket, conversation } = await harness.pair(server);
    const version = await devicesVersionOf(aliceSocket, conversation.id);
    const replies = await sendAll(aliceSocket, conversation.id, version, [
      { text: 'm1' },
      { text: 'm2', after: 'm1' },
      { text: 'm3', after: 'm2' },
    ]);
    expect(replies.map(outcome)).toEqual(['sent', 'sent', 'sent']);
    expect(await storedTexts(aliceSocket, conversation.id)).toEqual(['m1', 'm2', 'm3']);
  });

  it('behind a transient failure: refused unhandled, nothing stored; sent again after it, stored once, in order', async () => {
    const server = await serverFailingOnce('m2');
    const { aliceSocket, conversation } = await harness.pair(server);
    const version = await devicesVersionOf(aliceSocket, conversation.id);
    const first = await sendAll(aliceSocket, conversation.id, version, [
      { text: 'm1' },
      { text: 'm2', after: 'm1' },
      { text: 'm3', after: 'm2' },
      { text: 'm4', after: 'm3' },
    ]);
    expect(first.map(outcome)).toEqual(['sent', 'internal', 'out_of_order', 'out_of_order']);
    expect(await storedTexts(aliceSocket, conversation.id)).toEqual(['m1']);

    // The client heard of the failure: m2 goes again as the first of a new window.
    const again = await sendAll(aliceSocket, conversation.id, version, [
      { text: 'm2' },
      { text: 'm3', after: 'm2' },
      { text: 'm4', after: 'm3' },
    ]);
    expect(again.map(outcome)).toEqual(['sent', 'sent', 'sent']);
    expect(await storedTexts(aliceSocket, conversation.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('naming a frame never handled on this connection (sent on an earlier one) are refused', async () => {
    const server = await harness.startServer();
    const { alice, aliceSocket, conversation } = await harness.pair(server);
    const version = await devicesVersionOf(aliceSocket, conversation.id);
    await sendAll(aliceSocket, conversation.id, version, [{ text: 'm1' }]);
    const second = await harness.connect(server, alice.token);
    const replies = await sendAll(second, conversation.id, version, [{ text: 'm2', after: 'm1' }]);
    expect(replies.map(outcome)).toEqual(['out_of_order']);
    expect(await storedTexts(second, conversation.id)).toEqual(['m1']);
  });

  it('keep conversations apart: a failure in one refuses nothing in another', async () => {
    const server = await serverFailingOnce('a2');
    const { aliceSocket, conversation } = await harness.pair(server);
    const carol = await harness.createAccount(server);
    const group = await createGroup(aliceSocket, { memberIds: [carol.user.id] });
    const [version, groupVersion] = [
      await devicesVersionOf(aliceSocket, conversation.id),
      await devicesVersionOf(aliceSocket, group.id),
    ];
    // Side by side on one connection: the direct conversation's window and the group's.
    const [replies, inGroup] = await Promise.all([
      sendAll(aliceSocket, conversation.id, version, [{ text: 'a1' }, { text: 'a2', after: 'a1' }, { text: 'a3', after: 'a2' }]),
      sendAll(aliceSocket, group.id, groupVersion, [{ text: 'g1' }, { text: 'g2', after: 'g1' }]),
    ]);
    expect(replies.map(outcome)).toEqual(['sent', 'internal', 'out_of_order']);
    expect(inGroup.map(outcome)).toEqual(['sent', 'sent']);
    expect(await storedTexts(aliceSocket, group.id)).toEqual(['group_created', 'g1', 'g2']);
  });
});
