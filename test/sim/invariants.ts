import type { Conversation, ConversationEvent } from '../../sync/protocol/frames.js';
import type { AppliedEvent } from '../../sync/content/opened-events.js';
import { checkBlocks } from './block-reference.js';
import { identity } from './history.js';
import { memberCountProblems } from '../support/db-invariants.js';
import { checkDevice } from './device-invariants.js';
import { checkDeviceMembership, checkNoStrangers, checkServerMembership, creationsRefusedForBlocks } from './group-invariants.js';
import { directFold, foldGroup, visibleEvents, type MembershipFold } from './group-reference.js';
import { checkIntents } from './intent-invariants.js';
import { checkKeys } from './key-invariants.js';
import { checkComposeOrder, checkNothingLost } from './outbox-invariants.js';
import { SIM_EPOCH_MS } from './scheduler.js';
import { openLog } from './sealed-log.js';
import { checkSettings } from './settings-invariants.js';
import { checkUploads } from './upload-invariants.js';
import type { SimConversation } from './people.js';
import type { SimWorld } from './world.js';

/**
 * The promises the messenger makes, checked at a quiet point (see quiet.ts):
 *  1. the server's log has seqs 1..lastSeq with no gap, and every event it acknowledged is in it;
 *     a group's log folds to members, roles, name and visibility periods by the rules, and the
 *     server lists each conversation for each person as that fold says (group-invariants.ts), and
 *     each conversation's stored member count is its members rows;
 *  2. every device holds exactly the messages and notices of the part of the log its person may
 *     see (all of a direct conversation; their periods in a group), each once, at the server's
 *     seq, caught up to the last seq they may see and no further, with no change held back;
 *  3. edits, deletes, reactions, replies and edit histories show the same state everywhere, and
 *     it is the state that part of the log folds to;
 *  4. members, roles and name show on every device of every current member as the server has
 *     them; a former member's devices show them out and refuse to send; refused group changes are
 *     listed; no device holds a conversation its person was never in;
 *  5. nothing a person did is lost: each outbox row was acknowledged, or is still visible as
 *     failed, or the person withdrew it, or a delete made it moot;
 *  6. per device and conversation, the server's seqs follow the order the person composed in;
 *  7. what a person asked for is what happened (last text, delete, reaction on or off);
 *  8. watermarks agree with the server, and (sampled all along) never went back;
 *  9. every file a message carries was uploaded whole: the sender's complete upload, with the
 *     declared SHA-256 and size, and the bytes the server holds hash to it; every device shows
 *     the same files on the message (none once deleted), and they are the ones the person attached;
 * 10. pins show the same everywhere, as the log folds them (reference.ts);
 * 11. blocks: an event stored while a block stood between two people is the sender's alone (in a
 *     group: a message or change is kept from the members who blocked its sender): the
 *     other person's devices never hold it (their part of the log leaves it out), and a direct
 *     conversation begun while it stood is not listed for them; what the server marked so is
 *     exactly what the blocks, replayed in the store's commit order, say (block-reference.ts);
 * 12. personal settings converge, last writer wins, and show as they say (settings-invariants.ts);
 * 13. no device reads a group's envelope from outside its person's periods, nor anything stored
 *     after its session ended (key-invariants.ts).
 * Throws one error listing every broken rule.
 */
export async function checkInvariants(world: SimWorld): Promise<void> {
  await world.refreshConversations();
  const problems: string[] = [...world.history.violations, ...world.serverErrors.map((error) => `server logged: ${error}`)];
  /** userId → conversationId → the conversation as the server lists it for them. */
  const views = new Map<string, Map<string, Conversation>>();
  for (const user of world.users) views.set(user.id, await world.serverViewsOf(user.id));
  for (const [viewerId, listed] of views) {
    for (const stored of listed.values()) {
      // Per viewer: while a block stands, each of the pair is shown the other's watermarks as they were when it began.
      world.history.sampleWatermarks(
        `the server (for ${viewerId.slice(0, 8)})`,
        stored.members.map((member) => ({
          conversationId: stored.id,
          userId: member.id,
          deliveredSeq: member.deliveredSeq,
          readSeq: member.readSeq,
        })),
      );
    }
  }
  /** conversationId → the server's log as stored (envelopes sealed). */
  const storedLogs = new Map<string, ConversationEvent[]>();
  /** conversationId → the log with each envelope as the event it carries (sealed-log.ts). */
  const logs = new Map<string, AppliedEvent[]>();
  const folds = new Map<string, MembershipFold>();
  /** conversationId → seq → the people an event was stored away from (a block stood). */
  const hidden = new Map<string, Map<number, string[]>>();
  let serverBlocks: Set<string>;
  const server = world.serverInspector();
  try {
    const refused = creationsRefusedForBlocks(world);
    for (const conversation of world.conversations) {
      const lastSeq = server.lastSeq(conversation.id);
      if (lastSeq === null) {
        if (!refused.has(conversation.id) && !world.unsentOnGoneDevice(conversation.id)) {
          problems.push(`${conversation.kind} ${conversation.id} was made on a device but never reached the server`);
        }
        continue;
      }
      const stored = server.log(conversation.id);
      const { events, problems: unopened } = openLog(stored, (...id) => world.sentContent(...id));
      problems.push(...unopened);
      storedLogs.set(conversation.id, stored);
      const fold = conversation.kind === 'group' ? foldGroup(events) : directFold(conversation.memberIds);
      logs.set(conversation.id, events);
      folds.set(conversation.id, fold);
      hidden.set(conversation.id, server.hiddenEvents(conversation.id));
      problems.push(...checkServerLog(conversation, stored, lastSeq));
      problems.push(...fold.problems.map((problem) => `server log of ${conversation.id.slice(0, 8)}: ${problem}`));
      const unannouncedTo = server.conversationHiddenFrom(conversation.id);
      problems.push(...checkServerMembership(conversation, fold, lastSeq, views, unannouncedTo, hidden.get(conversation.id)));
    }
    problems.push(...checkUploads(logs, server, world.uploads));
    problems.push(
      ...checkBlocks(
        world.blocks.expectations(),
        world.conversations.map((conversation) => conversation.id),
        server,
      ),
    );
    serverBlocks = server.blocks();
    problems.push(...memberCountProblems(server.memberCountMismatches()));
  } finally {
    server.close();
  }
  problems.push(...checkAcknowledged(world, storedLogs));
  /** userId → conversationId → the part of the log the person may see. */
  const visibleTo = new Map<string, Map<string, AppliedEvent[]>>();
  for (const user of world.users) {
    const parts = new Map<string, AppliedEvent[]>();
    for (const conversation of world.conversations) {
      const periods = folds.get(conversation.id)?.periods.get(user.id);
      if (!periods || !views.get(user.id)?.has(conversation.id)) continue;
      const storedAway = hidden.get(conversation.id);
      parts.set(
        conversation.id,
        visibleEvents(logs.get(conversation.id)!, periods).filter((event) => !storedAway?.get(event.seq)?.includes(user.id)),
      );
    }
    visibleTo.set(user.id, parts);
  }
  for (const device of world.devices) {
    for (const conversation of world.conversationsOf(device.name)) {
      const view = views.get(device.user.id)?.get(conversation.id);
      const visible = visibleTo.get(device.user.id)?.get(conversation.id);
      if (!visible || !view) continue;
      const logLastSeq = logs.get(conversation.id)!.length;
      const { droppedRenames } = folds.get(conversation.id)!;
      problems.push(
        ...(await checkDevice(
          device,
          world.inspector(device.name),
          conversation,
          visible,
          view,
          logLastSeq,
          droppedRenames,
          world.scheduler.now,
        )),
      );
      problems.push(...(await checkDeviceMembership(world, device, conversation, view, visible, droppedRenames)));
    }
  }
  problems.push(...checkNoStrangers(world, views));
  problems.push(...checkNothingLost(world, logs));
  problems.push(...checkComposeOrder(world, logs));
  problems.push(...checkIntents(world, logs));
  problems.push(...(await checkSettings(world, visibleTo, serverBlocks)));
  problems.push(...(await checkKeys(world, storedLogs, folds)));
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).map((problem) => `  - ${problem}`);
    if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
    throw new Error(
      `Invariants broken at a quiet point (virtual time ${world.scheduler.now - SIM_EPOCH_MS} ms):\n${shown.join('\n')}`,
    );
  }
}

function checkServerLog(conversation: SimConversation, events: ConversationEvent[], lastSeq: number): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  events.forEach((event, index) => {
    if (event.seq !== index + 1) problems.push(`server log of ${conversation.id} has seq ${event.seq} at position ${index + 1}`);
    if (seen.has(identity(event))) problems.push(`server log of ${conversation.id} holds ${identity(event)} twice`);
    seen.add(identity(event));
  });
  if (lastSeq !== events.length)
    problems.push(`server says lastSeq ${lastSeq} for ${conversation.id} but holds ${events.length} events`);
  return problems;
}

function checkAcknowledged(world: SimWorld, logs: Map<string, AppliedEvent[]>): string[] {
  const problems: string[] = [];
  for (const { device, event } of world.history.acknowledged.values()) {
    const stored = logs.get(event.conversationId)?.[event.seq - 1];
    if (!stored || identity(stored) !== identity(event)) {
      problems.push(
        `${identity(event)} was acknowledged to ${device} at seq ${event.seq}, but the log holds ${stored ? identity(stored) : 'nothing'} there`,
      );
    }
  }
  return problems;
}
