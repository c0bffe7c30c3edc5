import { appliedClientIdOf, type AppliedEvent } from '../../sync/content/opened-events.js';
import { expectedMessages } from './reference.js';
import type { SimWorld } from './world.js';

/**
 * What people composed (messages, changes to them, conversations made on a device, changes to
 * groups), against the server's log: nothing lost (acknowledged, visibly failed, withdrawn by the
 * person, or made moot by a delete) and nothing reordered (per device and conversation, the
 * server's seqs follow composition order).
 */

/** `senderId clientId` → the stored event, over every conversation. */
function eventsByClientId(logs: Map<string, AppliedEvent[]>): Map<string, AppliedEvent> {
  const byId = new Map<string, AppliedEvent>();
  for (const events of logs.values()) {
    for (const event of events) {
      const clientId = appliedClientIdOf(event);
      byId.set(`${event.senderId} ${clientId}`, event);
    }
  }
  return byId;
}

export function checkNothingLost(world: SimWorld, logs: Map<string, AppliedEvent[]>): string[] {
  const problems: string[] = [];
  const stored = eventsByClientId(logs);
  const outboxes = new Map(
    [...world.devices, ...world.gone.map((gone) => gone.device)].map((device) => [
      device.name,
      world.inspector(device.name).outbox(),
    ]),
  );
  const goneNames = new Set(world.gone.map((gone) => gone.device.name));
  const deleted = new Set<string>();
  for (const [conversationId, events] of logs) {
    for (const message of expectedMessages(events)) if (message.deleted) deleted.add(`${conversationId} ${message.id}`);
  }
  for (const row of world.history.composed) {
    if (stored.has(`${row.userId} ${row.clientId}`)) continue;
    // A direct conversation has no creation event: its creation arrived if the server has it.
    if (
      row.kind === 'create' &&
      logs.has(row.conversationId) &&
      !logs.get(row.conversationId)!.some((event) => event.kind === 'group_created')
    )
      continue;
    const queued = outboxes.get(row.device)?.find((candidate) => candidate.clientId === row.clientId);
    if (queued?.status === 'failed') continue;
    // What a device still held unsent when its session ended went no further, as on any
    // messenger; it is still in that device's outbox, not dropped.
    if (queued && goneNames.has(row.device)) continue;
    if (world.history.withdrawn.has(`${row.device}:${row.clientId}`)) continue;
    // A delete for everyone makes queued edits, reactions, pins and votes on that message moot.
    if (
      (row.kind === 'edit' || row.kind === 'reaction' || row.kind === 'pin' || row.kind === 'content') &&
      deleted.has(`${row.conversationId} ${row.messageId}`)
    )
      continue;
    problems.push(
      `${row.kind} ${row.clientId} composed on ${row.device} (in ${row.conversationId.slice(0, 8)}${row.messageId ? `, on ${row.messageId}` : ''}) is lost: not on the server, ` +
        (queued ? `still ${queued.status} in the outbox` : 'no longer in the outbox'),
    );
  }
  return problems;
}

export function checkComposeOrder(world: SimWorld, logs: Map<string, AppliedEvent[]>): string[] {
  const problems: string[] = [];
  const stored = eventsByClientId(logs);
  const lastSeq = new Map<string, { seq: number; clientId: string }>();
  for (const row of world.history.composed) {
    const event = stored.get(`${row.userId} ${row.clientId}`);
    if (!event) continue;
    const key = `${row.device} ${row.conversationId}`;
    const previous = lastSeq.get(key);
    if (previous && event.seq <= previous.seq) {
      problems.push(
        `${row.device} composed ${previous.clientId} before ${row.clientId}, but the server has them at seqs ${previous.seq} and ${event.seq}`,
      );
    }
    lastSeq.set(key, { seq: event.seq, clientId: row.clientId });
  }
  return problems;
}
