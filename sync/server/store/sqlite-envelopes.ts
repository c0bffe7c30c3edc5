import { countsAsWriting } from '../../protocol/presence-rules.js';
import { toConversationDevices, type ConversationDeviceRow } from './conversation-devices.js';
import { judgeEnvelope, newEnvelopeEvent, type EnvelopeFacts } from './append-rules.js';
import { appendFactsIn, hiddenByBlocksIn, insertHidden, nextSeq, periodsIn, recipients } from './sqlite-event-log.js';
import type { Role } from '../../protocol/frames.js';
import type { EnvelopeResult, NewEnvelope, StoredUpload } from './server-store.js';
import type { Statements } from './sqlite-statements.js';
import { findDownloadableIn, getUploadIn, referUploadsIn } from './sqlite-uploads.js';

/**
 * Appending a sealed envelope to a conversation's log in SQLite, inside the store's write
 * transaction: the facts the rules judge (append-rules.ts: judgeEnvelope), the seq, the insert,
 * the references to its uploads and the purge of the envelope it deletes commit together.
 */
export function appendEnvelopeIn(s: Statements, input: NewEnvelope): EnvelopeResult {
  const { conversationId, senderId } = input;
  const verdict = judgeEnvelope(input, envelopeFactsIn(s, input));
  if (verdict.status === 'devices_changed') {
    const rows = s.conversationDevices.all(conversationId) as ConversationDeviceRow[];
    return { status: 'devices_changed', devices: toConversationDevices(verdict.version, rows) };
  }
  if (verdict.status !== 'accepted') return verdict;
  const event = newEnvelopeEvent(input, nextSeq(s, conversationId), verdict.senderRole);
  if (verdict.deletesSeq !== null) {
    s.dropRefsOfEvent.run(conversationId, verdict.deletesSeq);
    s.purgeEnvelope.run(conversationId, verdict.deletesSeq);
  }
  // Hidden by blocks whatever it says: the server cannot tell a message from anything else sealed.
  const hidden = hiddenByBlocksIn(s, conversationId, senderId);
  insertHidden(s, event, hidden);
  referUploadsIn(s, conversationId, event.seq, event.attachments);
  const firstMessage =
    countsAsWriting(event.kind) && s.markWrote.run({ conversationId, userId: senderId, seq: event.seq }).changes === 1;
  return { status: 'stored', event, memberIds: recipients(s, conversationId, hidden), firstMessage };
}

function envelopeFactsIn(s: Statements, input: NewEnvelope): EnvelopeFacts {
  const { conversationId, senderId } = input;
  const uploads = new Map<string, StoredUpload>();
  const downloadable = new Set<string>();
  for (const id of input.attachments) {
    const upload = getUploadIn(s, id);
    if (upload) uploads.set(id, upload);
    // A file forwarded by reference: one the sender may download now.
    if (upload && upload.ownerId !== senderId && findDownloadableIn(s, senderId, id)) downloadable.add(id);
  }
  const target =
    input.deletes === null
      ? undefined
      : (s.deleteTarget.get({ conversationId, clientId: input.deletes, senderId }) as
          { seq: number; sender_id: string; deleted: number; hidden_from: string | null; hidden_here: number } | undefined);
  return {
    ...appendFactsIn(s, conversationId, senderId, input.clientId),
    uploads,
    downloadable,
    deleteTarget: target ? { ...target, deleted: target.deleted === 1, hidden_here: target.hidden_here === 1 } : null,
    senderPeriods: periodsIn(s, conversationId, senderId),
    // A conversation that is gone has no version: a stranger's frame is refused before it matters.
    devicesVersion: (s.devicesVersion.get(conversationId) as number | undefined) ?? 0,
    senderRole: (s.membership.get(conversationId, senderId) as { role: Role } | undefined)?.role ?? null,
  };
}
