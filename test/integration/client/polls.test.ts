/**
 * Polls between real client cores and a real server (issue 33): a poll and its votes are sealed
 * content; votes made offline go when the device is back; the author's end freezes the counts; and
 * every device shows the same tallies whatever order the votes reached it in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PollView } from '../../../sync/app-api/polls-api.js';
import { createServerHarness } from '../../support/server-harness.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { acceptanceStored, converse, offline, online, person } from '../../support/people.js';
import { filesHolding } from '../../support/stored-bytes.js';
import { AppApiError } from '../../../sync/app-api/contract.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

async function threeInAGroup() {
  const server = await servers.startServer();
  const alice = await person(clients, server, 'alice');
  const bob = await person(clients, server, 'bob');
  const carol = await person(clients, server, 'carol');
  const withBob = await converse(alice.core, bob.core, 'bob');
  await acceptanceStored(server, bob.core, withBob);
  await acceptanceStored(server, carol.core, await converse(alice.core, carol.core, 'carol'));
  const members = await Promise.all(['bob', 'carol'].map((username) => alice.core.findUser({ username })));
  const group = await alice.core.createGroup({ name: 'Trip', memberIds: members.map((member) => member.id) });
  return { server, alice, bob, carol, groupId: group.id, withBob };
}

async function pollOn(core: TestCore, conversationId: string, messageId: string): Promise<PollView | null> {
  // The group reaches the others a moment after it is made.
  if (!(await core.listConversations()).some((conversation) => conversation.id === conversationId)) return null;
  return (await core.listMessages({ conversationId })).messages.find((message) => message.id === messageId)?.poll ?? null;
}

/** What a person sees of the counts: per option, who chose it (by name), and whether it ended. */
const seen = (poll: PollView | null) =>
  poll && { options: poll.options.map((option) => option.voters.map((voter) => voter.name).sort()), ended: poll.ended };

async function pollSettles(core: TestCore, conversationId: string, messageId: string, expected: object, what: string) {
  return eventually(
    async () => seen(await pollOn(core, conversationId, messageId)),
    (shown) => JSON.stringify(shown) === JSON.stringify(expected),
    what,
  );
}

describe('polls', () => {
  it('three people vote, one offline; changed votes replace earlier ones; the end freezes the counts on every device', async () => {
    const { alice, bob, carol, groupId } = await threeInAGroup();
    const poll = await alice.core.sendPoll({
      conversationId: groupId,
      question: 'Where to?',
      options: ['Lake', 'Hills', 'Sea'],
      multiple: false,
    });
    expect(poll).toMatchObject({
      text: 'Where to?',
      poll: {
        options: [{ text: 'Lake' }, { text: 'Hills' }, { text: 'Sea' }],
        multiple: false,
        ended: false,
        people: 0,
        mine: [],
      },
    });
    for (const core of [bob.core, carol.core]) {
      await pollSettles(core, groupId, poll.id, { options: [[], [], []], ended: false }, 'the poll arrives');
    }

    // Bob votes offline: his own device shows it at once, waiting; nobody else sees it yet.
    await bob.core.setPreferences({ workOffline: true });
    await offline(bob.core);
    await bob.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [0] });
    await bob.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [2] });
    expect(await pollOn(bob.core, groupId, poll.id)).toMatchObject({ mine: [2], pending: true, people: 1 });
    // His two votes never went on the wire: the second replaced the first in the queue.
    expect((await bob.core.listOutbox({})).items.filter((item) => item.kind === 'vote')).toHaveLength(1);

    await carol.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [1] });
    await alice.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [1] });
    await pollSettles(
      alice.core,
      groupId,
      poll.id,
      { options: [[], ['Alice', 'Carol'], []], ended: false },
      'alice sees two votes',
    );

    await bob.core.setPreferences({ workOffline: false });
    await online(bob.core);
    const allThree = { options: [[], ['Alice', 'Carol'], ['Bob']], ended: false };
    for (const core of [alice.core, bob.core, carol.core])
      await pollSettles(core, groupId, poll.id, allThree, 'everyone sees three votes');
    expect(await pollOn(bob.core, groupId, poll.id)).toMatchObject({ mine: [2], pending: false, people: 3 });

    // Carol changes her mind, then Alice ends it; Carol's vote after the end is refused at once.
    await carol.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [2] });
    const changed = { options: [[], ['Alice'], ['Bob', 'Carol']], ended: false };
    await pollSettles(alice.core, groupId, poll.id, changed, 'alice sees carol’s new vote');
    await expect(bob.core.endPoll({ conversationId: groupId, messageId: poll.id })).rejects.toMatchObject({
      code: 'refused',
      message: 'not_author',
    });
    await alice.core.endPoll({ conversationId: groupId, messageId: poll.id });
    const ended = { ...changed, ended: true };
    for (const core of [alice.core, bob.core, carol.core])
      await pollSettles(core, groupId, poll.id, ended, 'everyone sees it ended');
    const late = carol.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [0] });
    await expect(late).rejects.toBeInstanceOf(AppApiError);
    await expect(late).rejects.toMatchObject({ message: 'poll_ended' });
    // The question stays as it was asked.
    await expect(
      alice.core.editMessage({ conversationId: groupId, messageId: poll.id, text: 'Where not to?' }),
    ).rejects.toMatchObject({ message: 'not_allowed' });
  }, 60_000);

  it('a vote cast offline before the end reaches the server after it and does not count, on any device', async () => {
    const { alice, bob, carol, groupId } = await threeInAGroup();
    const poll = await alice.core.sendPoll({
      conversationId: groupId,
      question: 'Pizza?',
      options: ['Yes', 'No'],
      multiple: true,
    });
    await pollSettles(bob.core, groupId, poll.id, { options: [[], []], ended: false }, 'bob has the poll');
    await bob.core.setPreferences({ workOffline: true });
    await offline(bob.core);
    await bob.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [0, 1] });
    await carol.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [1] });
    await pollSettles(alice.core, groupId, poll.id, { options: [[], ['Carol']], ended: false }, 'carol’s vote');
    await alice.core.endPoll({ conversationId: groupId, messageId: poll.id });
    await pollSettles(carol.core, groupId, poll.id, { options: [[], ['Carol']], ended: true }, 'carol sees the end');

    await bob.core.setPreferences({ workOffline: false });
    await online(bob.core);
    // Bob's vote reaches the server after the end: the server orders it there, and nobody counts it.
    await eventually(
      async () => (await bob.core.listOutbox({})).items.length,
      (count) => count === 0,
      'bob’s vote is sent',
    );
    for (const core of [alice.core, bob.core, carol.core]) {
      await pollSettles(core, groupId, poll.id, { options: [[], ['Carol']], ended: true }, 'the late vote counts nowhere');
    }
  }, 60_000);

  it('the server keeps none of a poll in the clear; forwarded it is a fresh poll; deleted it takes its votes with it', async () => {
    const { server, alice, bob, groupId, withBob } = await threeInAGroup();
    const poll = await alice.core.sendPoll({
      conversationId: groupId,
      question: 'Secret ballot zebra?',
      options: ['Quokka yes', 'Quokka no'],
      multiple: false,
    });
    await pollSettles(bob.core, groupId, poll.id, { options: [[], []], ended: false }, 'bob has the poll');
    await bob.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [1] });
    await pollSettles(alice.core, groupId, poll.id, { options: [[], ['Bob']], ended: false }, 'alice sees bob’s vote');

    // Whatever the server wrote to disk (database, WAL, uploads) holds none of it.
    for (const secret of ['Secret ballot zebra', 'Quokka', 'poll_vote']) expect(filesHolding(server.dataDir, secret)).toEqual([]);

    // Forwarded, it is a poll of its own: the same question and options, none of the votes.
    const [copy] = await alice.core.forwardMessage({ conversationId: groupId, messageId: poll.id, toConversationIds: [withBob] });
    await pollSettles(bob.core, withBob, copy!.id, { options: [[], []], ended: false }, 'bob has the forwarded poll');
    expect(await pollOn(bob.core, withBob, copy!.id)).toMatchObject({ options: [{ text: 'Quokka yes' }, { text: 'Quokka no' }] });

    await alice.core.deleteMessage({ conversationId: groupId, messageId: poll.id });
    await eventually(
      async () => (await bob.core.listMessages({ conversationId: groupId })).messages.find((message) => message.id === poll.id),
      (message) => message?.deleted === true && message.poll === null,
      'the poll is gone on bob’s device',
    );
    await expect(bob.core.votePoll({ conversationId: groupId, messageId: poll.id, choices: [0] })).rejects.toMatchObject({
      message: 'message_deleted',
    });
  }, 60_000);
});
