import type { AppliedEvent } from '../../sync/content/opened-events.js';
import type { IntentRecord } from './history.js';
import { expectedMessages, type ExpectedMessage } from './reference.js';
import type { SimWorld } from './world.js';

/**
 * What each person asked for is what happened: the last text they gave a message (sending it,
 * editing it, even while it was still queued) is its text on the server; a message they deleted
 * (even one never sent) is deleted or absent there; a reaction they took back is gone; the files
 * they attached are the message's files, byte for byte (by SHA-256 and size) and by name. Checked
 * where one device alone acted on the message (with two, either outcome of the race is fair),
 * and not where that device shows a refused change for it (the person was told).
 */
export function checkIntents(world: SimWorld, logs: Map<string, AppliedEvent[]>): string[] {
  const problems: string[] = [];
  const server = new Map<string, ExpectedMessage>();
  for (const [conversationId, events] of logs) {
    for (const message of expectedMessages(events)) server.set(`${conversationId} ${message.id}`, message);
  }
  const groups = new Map<string, IntentRecord[]>();
  for (const record of world.history.intents) {
    const target = `${record.conversationId} ${record.messageId}`;
    const key = record.intent.kind === 'reaction' ? `${target} ${record.userId} ${record.intent.emoji}` : target;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  for (const records of groups.values()) {
    const { device, conversationId, messageId, userId } = records[0]!;
    if (records.some((record) => record.device !== device)) continue;
    const rows = world
      .inspector(device)
      .outbox()
      .filter((row) => row.conversationId === conversationId && row.messageId === messageId);
    if (rows.some((row) => row.status === 'failed')) continue;
    // Unsent when the device's session ended: it went no further (outbox-invariants.ts).
    if (rows.length > 0 && world.gone.some((gone) => gone.device.name === device)) continue;
    const stored = server.get(`${conversationId} ${messageId}`);
    const last = records.at(-1)!.intent;
    const what = `${device}'s ${last.kind === 'reaction' ? `reaction ${last.emoji} on` : 'message'} ${messageId}`;
    if (last.kind === 'reaction') {
      if (!stored || stored.deleted) continue;
      const standing = stored.reactions.some((reaction) => reaction.emoji === last.emoji && reaction.userIds.includes(userId));
      if (standing !== last.on)
        problems.push(
          `${what}: the person turned it ${last.on ? 'on' : 'off'} last, the server has it ${standing ? 'on' : 'off'}`,
        );
    } else if (records.some((record) => record.intent.kind === 'deleted')) {
      if (stored && !stored.deleted)
        problems.push(`${what}: the person deleted it, the server shows it (seq ${stored.seq}, "${stored.text}")`);
    } else if (last.kind === 'text') {
      if (!stored) problems.push(`${what}: sent, but not on the server`);
      else if (stored.text !== last.text)
        problems.push(`${what}: the person's last text was "${last.text}", the server has "${stored.text}"`);
      const attached = records.find((record) => record.intent.kind === 'text' && record.intent.attachments)?.intent;
      const files = attached?.kind === 'text' ? (attached.attachments ?? []) : [];
      if (stored && files.join(' ') !== stored.attachments.join(' '))
        problems.push(`${what}: the person attached [${files.join(' ')}], the server has [${stored.attachments.join(' ')}]`);
    }
  }
  return problems;
}
