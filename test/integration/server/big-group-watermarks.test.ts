/**
 * Watermarks in a big group (handlers/receipts.ts): a member's receipt changes the checkmarks of
 * the messages it passes and nothing else, so beyond 32 members it is pushed to the member's own
 * connections and the authors of what it passed, not to everyone: a group of 1,000 whose members
 * all send receipts would otherwise push a million watermarks a message. The conversation list
 * still serves everyone's watermarks to everyone.
 */
import { afterEach, expect, it } from 'vitest';
import { createServerHarness, groupOf, listedConversation, people, type SocketPerson } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

describeEachStore('watermarks in a big group', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('reach the member and the authors of what they passed; the others read them from the list', async () => {
    const server = await h.startServer();
    const names = Array.from({ length: 34 }, (_, i) => `member${i}`);
    const everyone = Object.values<SocketPerson>(await people(h, server, ...names));
    const [owner, first, second, reader, bystander] = everyone as [
      SocketPerson,
      SocketPerson,
      SocketPerson,
      SocketPerson,
      SocketPerson,
    ];
    const group = await groupOf(owner, everyone.slice(1));
    const one = await first.socket.send(group.id, 'm1', 'one');
    const two = await second.socket.send(group.id, 'm2', 'two');
    const from = new Map(everyone.map((person) => [person, person.socket.pushes.length]));
    const watermarksSeen = async (person: SocketPerson) => {
      await person.socket.barrier();
      return person.socket.pushes
        .slice(from.get(person))
        .filter((push) => push.type === 'watermark' && push.userId === reader.user.id);
    };

    // Up to the first message: its author hears it (and the group's creator, whose creation it passed).
    await reader.socket.call({ type: 'receipt', conversationId: group.id, kind: 'delivered', seq: one.seq }, 'ok');
    await first.socket.waitForPush('watermark', (p) => p.userId === reader.user.id && p.deliveredSeq === one.seq);
    await reader.socket.waitForPush('watermark', (p) => p.userId === reader.user.id && p.deliveredSeq === one.seq);
    expect(await watermarksSeen(second)).toEqual([]);
    expect(await watermarksSeen(bystander)).toEqual([]);

    // Read up to the second: now its author hears it too; the bystander still does not.
    await reader.socket.call({ type: 'receipt', conversationId: group.id, kind: 'read', seq: two.seq }, 'ok');
    await second.socket.waitForPush('watermark', (p) => p.userId === reader.user.id && p.readSeq === two.seq);
    await first.socket.waitForPush('watermark', (p) => p.userId === reader.user.id && p.readSeq === two.seq);
    expect(await watermarksSeen(bystander)).toEqual([]);
    expect((await listedConversation(bystander.socket, group.id))?.members.find((m) => m.id === reader.user.id)).toMatchObject({
      deliveredSeq: two.seq,
      readSeq: two.seq,
    });
  });
});
