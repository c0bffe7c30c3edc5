/**
 * Opening a conversation's envelopes (crypto/envelope-opener.ts, the mirror's applier), between
 * real engines on a real server with real libsignal: what members seal shows on the others'
 * devices as the messages, edits, reactions and names it says, live and in a catch-up after
 * being away; content the rules refuse (an edit of someone else's message, a rename by a plain
 * member) is dropped, alike on every device.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncTransport } from '../../../sync/client/transport.js';
import { wsTransport } from '../../../sync/client/ws-transport.js';
import type { Content } from '../../../sync/content/content.js';
import { eventually } from '../../support/client-harness.js';
import { engineDevices, groupOf, post, waitingIn, type ConversationMember as Member } from '../../support/crypto-devices.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const { member, cleanup } = engineDevices(servers);
afterEach(async () => {
  await cleanup();
  await servers.cleanup();
});

/** Holds back the inbox pushes a device's socket receives while `held` is on, and hands them over when it is let go. */
function holdingInboxPushes(): { transport: SyncTransport; hold(): void; release(): void } {
  let held: Array<() => void> | null = null;
  return {
    hold: () => void (held = []),
    release: () => {
      const waiting = held ?? [];
      held = null;
      for (const deliver of waiting) deliver();
    },
    transport: {
      open: (url, token, handlers) =>
        wsTransport.open(url, token, {
          ...handlers,
          onMessage: (text) => {
            if (held && text.includes('"inbox_push"')) held.push(() => handlers.onMessage(text));
            else handlers.onMessage(text);
          },
        }),
    },
  };
}

/** Alice's first message, once Bob's device shows it. */
async function firstMessage(from: Member, reader: Member, conversationId: string): Promise<void> {
  await post(from, conversationId, 'm0', { kind: 'message', text: 'first' });
  await eventually(
    () => shown(reader, conversationId, 'm0')?.text,
    (text) => text === 'first',
    'the first message',
  );
}

function shown(reader: Member, conversationId: string, messageId: string) {
  return reader.device.mirror.views.messageView(conversationId, messageId, reader.device.userId);
}

function groupName(reader: Member, conversationId: string): string | null {
  return reader.device.mirror.views.conversationSummaries(reader.device.userId, conversationId)[0]?.title ?? null;
}

describe('opening envelopes', () => {
  it('shows what members seal, live and after being away, and drops alike what the rules refuse', async () => {
    const server = await servers.startServer();
    const alice = await member(server, 'alice');
    const bob = await member(server, 'bob');
    const carol = await member(server, 'carol');
    const groupId = await groupOf(alice, [bob, carol]);

    await post(alice, groupId, 'm1', { kind: 'message', text: 'hello' });
    await eventually(
      () => shown(bob, groupId, 'm1')?.text,
      (text) => text === 'hello',
      'the message on Bob’s device',
    );
    // Told as any incoming message is (the app notifies from it).
    expect(bob.device.emitted).toContainEqual({ type: 'incoming', conversationId: groupId, messageId: 'm1' });
    // Carol is away for what follows.
    carol.device.engine.setWorkOffline(true);
    await post(alice, groupId, 'r1', { kind: 'reaction', messageId: 'm1', emoji: '👍', on: true });
    await post(alice, groupId, 'e1', { kind: 'edit', messageId: 'm1', text: 'hello, all' });
    await post(alice, groupId, 'n1', { kind: 'rename', name: 'Trip 2027' });
    // Refused on every device: Bob is not the author, and a plain member does not rename.
    await post(bob, groupId, 'e2', { kind: 'edit', messageId: 'm1', text: 'taken over' });
    await post(bob, groupId, 'n2', { kind: 'rename', name: 'Bob’s trip' });
    await post(alice, groupId, 'm2', { kind: 'message', text: 'that is all' });

    const expectations = async (reader: Member) => {
      await eventually(
        () => shown(reader, groupId, 'm2')?.text,
        (text) => text === 'that is all',
        'the last message',
      );
      expect(shown(reader, groupId, 'm1')).toMatchObject({ text: 'hello, all', edited: true });
      expect(shown(reader, groupId, 'm1')!.reactions).toEqual([expect.objectContaining({ emoji: '👍', count: 1 })]);
    };
    await expectations(bob);
    // The owner's rename takes effect, the plain member's does not. (Checked live: until group names
    // leave the server, the name in the conversation list a reconnect brings wins over a rename in
    // a catch-up.)
    expect(groupName(bob, groupId)).toBe('Trip 2027');
    carol.device.engine.setWorkOffline(false);
    await expectations(carol);
    for (const each of [alice, bob, carol]) {
      expect(each.device.warnings.filter((warning) => warning.message.includes('did not open'))).toEqual([]);
    }
  });
});

describe('a catch-up opened in worker threads', () => {
  it('shows what came while away, and the workers end with the engine', async () => {
    const server = await servers.startServer();
    const threads: Worker[] = [];
    const opening = {
      threads: 2,
      minimum: 3,
      spawn: (source: string, options: WorkerOptions) => {
        const thread = new Worker(source, options);
        threads.push(thread);
        return thread;
      },
    };
    const alice = await member(server, 'alice');
    const bob = await member(server, 'bob', undefined, undefined, opening);
    const groupId = await groupOf(alice, [bob]);
    await firstMessage(alice, bob, groupId);
    // One live envelope is fewer than the minimum: it opened on the engine's thread.
    expect(threads).toEqual([]);

    bob.device.engine.setWorkOffline(true);
    for (let i = 1; i <= 6; i++) await post(alice, groupId, `m${i}`, { kind: 'message', text: `away ${i}` });
    bob.device.engine.setWorkOffline(false);
    await eventually(
      () => shown(bob, groupId, 'm6')?.text,
      (text) => text === 'away 6',
      'the last message, after the catch-up',
    );
    expect(threads.length).toBeGreaterThan(0);
    for (let i = 1; i <= 6; i++) expect(shown(bob, groupId, `m${i}`)?.text).toBe(`away ${i}`);
    expect(waitingIn(bob.device, groupId)).toEqual([]);
    expect(bob.device.warnings).toEqual([]);

    const exits = threads.map((thread) => new Promise((resolve) => thread.once('exit', resolve)));
    bob.device.engine.stop();
    await Promise.all(exits);
  });
});

describe('an envelope that came before its key', () => {
  it('waits, unread and unshown, and opens when the key comes: shown and announced then', async () => {
    const server = await servers.startServer();
    const slowInbox = holdingInboxPushes();
    const alice = await member(server, 'alice');
    const bob = await member(server, 'bob', slowInbox.transport);
    const groupId = await groupOf(alice, [bob]);

    slowInbox.hold();
    await post(alice, groupId, 'm1', { kind: 'message', text: 'before the key' });
    await eventually(
      () => waitingIn(bob.device, groupId).map((envelope) => envelope.clientId),
      (waiting) => waiting.length === 1 && waiting[0] === 'm1',
      'the envelope waiting',
    );
    expect(shown(bob, groupId, 'm1')).toBeNull();
    expect(bob.device.mirror.appliedSeq(groupId)).toBe(2);

    slowInbox.release();
    await eventually(
      () => shown(bob, groupId, 'm1')?.text,
      (text) => text === 'before the key',
      'the message once the key came',
    );
    expect(waitingIn(bob.device, groupId)).toEqual([]);
    expect(bob.device.emitted).toContainEqual({ type: 'incoming', conversationId: groupId, messageId: 'm1' });
    expect(bob.device.warnings).toEqual([]);
  });
});

describe('a write that fails after opening', () => {
  it('burns no key: the envelope opens again from the state stored before, and shows once', async () => {
    const server = await servers.startServer();
    const alice = await member(server, 'alice');
    const bob = await member(server, 'bob');
    const groupId = await groupOf(alice, [bob]);
    await firstMessage(alice, bob, groupId);

    // The disk fills while the next opened envelope is applied, after the ratchet state that opened
    // it was written in the same transaction: nothing of that transaction stays.
    const mirror = bob.device.mirror;
    const applyEvents = mirror.applyEvents.bind(mirror);
    let failures = 0;
    mirror.applyEvents = (conversationId, events, selfId, page, sealed) => {
      if (!sealed || failures > 0) return applyEvents(conversationId, events, selfId, page, sealed);
      failures += 1;
      const diskFull = new (class extends Map<number, Content> {
        override get(): Content | undefined {
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        }
      })(sealed.opened);
      return applyEvents(conversationId, events, selfId, page, { ...sealed, opened: diskFull });
    };
    await post(alice, groupId, 'm1', { kind: 'message', text: 'second' });
    await eventually(
      () => shown(bob, groupId, 'm1')?.text,
      (text) => text === 'second',
      'the message, after the connection started over',
    );
    expect(failures).toBe(1);
    expect(waitingIn(bob.device, groupId)).toEqual([]);
    expect(bob.device.warnings.filter((warning) => warning.message === 'an envelope did not open')).toEqual([]);
    await post(alice, groupId, 'm2', { kind: 'message', text: 'third' });
    await eventually(
      () => shown(bob, groupId, 'm2')?.text,
      (text) => text === 'third',
      'the next message',
    );
  });
});

describe('when this device cannot read its own keys', () => {
  it('keeps what comes waiting, stays up, and opens it on a later connection once it can', async () => {
    const server = await servers.startServer();
    const alice = await member(server, 'alice');
    let readable = true;
    const bob = await member(server, 'bob', undefined, () => readable);
    const groupId = await groupOf(alice, [bob]);
    await firstMessage(alice, bob, groupId);

    readable = false;
    await post(alice, groupId, 'm1', { kind: 'message', text: 'while locked' });
    await eventually(
      () => waitingIn(bob.device, groupId).map((envelope) => envelope.clientId),
      (waiting) => waiting.join() === 'm1',
      'the envelope waiting',
    );
    expect(shown(bob, groupId, 'm1')).toBeNull();
    expect(bob.device.engine.connectionState).toBe('online');

    readable = true;
    bob.device.engine.setWorkOffline(true);
    bob.device.engine.setWorkOffline(false);
    await eventually(
      () => shown(bob, groupId, 'm1')?.text,
      (text) => text === 'while locked',
      'the message on the next connection',
    );
    expect(waitingIn(bob.device, groupId)).toEqual([]);
  });
});
