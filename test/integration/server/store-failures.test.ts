import { afterEach, describe, expect, it } from 'vitest';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { createServerHarness, envelopesIn, testOpened } from '../../support/server-harness.js';

// SQLite only: the failures are injected in a wrapper, so which real store sits under it does not matter.
const h = createServerHarness();
const stores: ServerStore[] = [];
afterEach(async () => {
  await h.cleanup();
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** The real store, except that catch-up fails while `broken.catchUp` is set. */
async function flakyStore() {
  const real = openSqliteServerStore(await h.tempDir());
  stores.push(real);
  const broken = { catchUp: false };
  const store: ServerStore = Object.assign(Object.create(real) as ServerStore, {
    readEvents: (input: Parameters<ServerStore['readEvents']>[0]) => {
      if (broken.catchUp) return Promise.reject(new Error('disk on fire'));
      return real.readEvents(input);
    },
  });
  return { store, broken };
}

describe('store failures', () => {
  it('become an internal error reply, are logged, and the server keeps going', async () => {
    const { store, broken } = await flakyStore();
    const server = await h.startServer({ store });
    const { aliceSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'a', 'kept');

    broken.catchUp = true;
    const failed = await aliceSocket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'error');
    expect(failed).toMatchObject({ rid: expect.any(String) as unknown, code: 'internal' });
    expect(failed.message).not.toContain('disk on fire');
    expect(server.logged).toHaveLength(1);
    expect(String(server.logged[0]!.error)).toContain('disk on fire');

    broken.catchUp = false;
    const events = await aliceSocket.call({ type: 'catch_up', conversationId: conversation.id, afterSeq: 0 }, 'events');
    expect(envelopesIn(events.events).map(testOpened)).toEqual(['kept']);
  });

  it('leaves an injected store open on close, for its owner to close', async () => {
    const { store } = await flakyStore();
    const server = await h.startServer({ store });
    await server.close();
    await server.close();
    expect(await store.findUserByUsername('nobody')).toBeNull();
  });
});
