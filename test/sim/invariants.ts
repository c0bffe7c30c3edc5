import type { Conversation, ConversationEvent } from '../../sync/protocol/frames.js';
import { identity } from './history.js';
import { checkDevice } from './device-invariants.js';
import { checkIntents } from './intent-invariants.js';
import { checkComposeOrder, checkNothingLost } from './outbox-invariants.js';
import { SIM_EPOCH_MS } from './scheduler.js';
import type { SimConversation } from './people.js';
import type { SimWorld } from './world.js';

/**
 * The promises the messenger makes, checked at a quiet point (see quiet.ts):
 *  1. the server's log has seqs 1..lastSeq with no gap, and every event it acknowledged is in it;
 *  2. every device holds exactly the server's messages, each once, at the server's seq, caught up
 *     with no gap and no change held back;
 *  3. edits, deletes, reactions, replies and edit histories show the same state everywhere, and
 *     it is the state the server's log folds to;
 *  4. nothing a person did is lost: each outbox row was acknowledged, or is still visible as
 *     failed, or the person withdrew it, or a delete made it moot;
 *  5. per device and conversation, the server's seqs follow the order the person composed in;
 *  6. what a person asked for is what happened (last text, delete, reaction on or off);
 *  7. watermarks agree with the server, and (sampled all along) never went back.
 * Throws one error listing every broken rule.
 */
export async function checkInvariants(world: SimWorld): Promise<void> {
  await world.refreshConversations();
  const logs = new Map<string, ConversationEvent[]>();
  const conversations = new Map<string, Conversation>();
  for (const conversation of world.conversations) {
    logs.set(conversation.id, await world.serverEvents(conversation));
    const stored = await world.serverConversation(conversation.id);
    conversations.set(conversation.id, stored);
    world.history.sampleWatermarks(
      'the server',
      stored.members.map((member) => ({ conversationId: stored.id, userId: member.id, deliveredSeq: member.deliveredSeq, readSeq: member.readSeq })),
    );
  }
  const problems: string[] = [...world.history.violations, ...world.serverErrors.map((error) => `server logged: ${error}`)];
  for (const conversation of world.conversations) {
    problems.push(...checkServerLog(conversation, logs.get(conversation.id)!, conversations.get(conversation.id)!));
  }
  problems.push(...checkAcknowledged(world, logs));
  for (const device of world.devices) {
    for (const conversation of world.conversationsOf(device.name)) {
      const events = logs.get(conversation.id)!;
      problems.push(...(await checkDevice(device, world.inspector(device.name), conversation, events, conversations.get(conversation.id)!)));
    }
  }
  problems.push(...checkNothingLost(world, logs));
  problems.push(...checkComposeOrder(world, logs));
  problems.push(...checkIntents(world, logs));
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).map((problem) => `  - ${problem}`);
    if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
    throw new Error(`Invariants broken at a quiet point (virtual time ${world.scheduler.now - SIM_EPOCH_MS} ms):\n${shown.join('\n')}`);
  }
}

function checkServerLog(conversation: SimConversation, events: ConversationEvent[], stored: Conversation): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  events.forEach((event, index) => {
    if (event.seq !== index + 1) problems.push(`server log of ${conversation.id} has seq ${event.seq} at position ${index + 1}`);
    if (seen.has(identity(event))) problems.push(`server log of ${conversation.id} holds ${identity(event)} twice`);
    seen.add(identity(event));
  });
  if (stored.lastSeq !== events.length) problems.push(`server says lastSeq ${stored.lastSeq} for ${conversation.id} but holds ${events.length} events`);
  return problems;
}

function checkAcknowledged(world: SimWorld, logs: Map<string, ConversationEvent[]>): string[] {
  const problems: string[] = [];
  for (const { device, event } of world.history.acknowledged.values()) {
    const stored = logs.get(event.conversationId)?.[event.seq - 1];
    if (!stored || identity(stored) !== identity(event)) {
      problems.push(`${identity(event)} was acknowledged to ${device} at seq ${event.seq}, but the log holds ${stored ? identity(stored) : 'nothing'} there`);
    }
  }
  return problems;
}
