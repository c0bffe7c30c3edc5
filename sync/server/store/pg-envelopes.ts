import type { Role } from '../../protocol/frames.js';
import { countsAsWriting } from '../../protocol/presence-rules.js';
import { conversationDevicesSql, toConversationDevices, type ConversationDeviceRow } from './conversation-devices.js';
import { judgeEnvelope, newEnvelopeEvent } from './append-rules.js';
import type { HiddenFacts, Period } from './event-visibility.js';
import type { Session } from './pg-connections.js';
import {
  audienceColumns,
  earlierEventJson,
  groupBlockersColumn,
  insertEvent,
  lockConversation,
  periodsJson,
  recipientsOf,
  seqAfter,
  type Audience,
} from './pg-queries.js';
import type { EnvelopeResult, NewEnvelope } from './server-store.js';
import { deleteTargetSql, downloadableToSql, purgeEnvelopeSql } from './shared-sql.js';
import { toEvent, toStoredUpload, type EventRecord, type UploadRow } from './store-rows.js';

/**
 * Appending a sealed envelope to a conversation's log in PostgreSQL: one READ COMMITTED
 * transaction that locks the conversation first (lockConversation), as a change does, so the facts
 * the rules judge (append-rules.ts: judgeEnvelope) are read after the last event they depend on
 * was committed, and the insert, its upload references and the purge of the envelope it deletes
 * commit together.
 */

interface EnvelopeFactsRow extends Audience {
  earlier: EventRecord | null;
  is_member: boolean;
  group_blockers: string[];
  uploads: UploadRow[];
  downloadable: string[];
  delete_target: (HiddenFacts & { sender_id: string; deleted: boolean }) | null;
  sender_periods: Period[];
  /** Null for a conversation that is gone. */
  devices_version: number | null;
  /** Null when the sender is not a member. */
  sender_role: Role | null;
}

// $1 conversation, $2 sender, $3 clientId, $4 the upload ids, $5 the client id it deletes (NULL: none).
const ENVELOPE_FACTS = `
  SELECT ${earlierEventJson('$2', '$3')} AS earlier,
         EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2) AS is_member,
         (SELECT role FROM members WHERE conversation_id = $1 AND user_id = $2) AS sender_role,
         ${audienceColumns('$1', '$2')},
         ${groupBlockersColumn('$1', '$2')},
         -- KEY SHARE: an upload checked here cannot be deleted (deleteUpload) before the envelope refers to it.
         (SELECT COALESCE(jsonb_agg(to_jsonb(u)), '[]') FROM (
            SELECT * FROM uploads WHERE id = ANY($4::text[]) FOR KEY SHARE) u) AS uploads,
         (SELECT COALESCE(jsonb_agg(u.id), '[]') FROM uploads u
          WHERE u.id = ANY($4::text[]) AND ${downloadableToSql('$2', 'u')}) AS downloadable,
         (SELECT to_jsonb(t) FROM (${deleteTargetSql('$1', '$5::text', '$2')}) t) AS delete_target,
         ${periodsJson('$1', '$2')} AS sender_periods,
         (SELECT devices_version FROM conversations WHERE id = $1) AS devices_version`;

export async function appendEnvelopeWith(tx: Session, input: NewEnvelope): Promise<EnvelopeResult> {
  const { conversationId, senderId } = input;
  const lastSeq = await lockConversation(tx, conversationId);
  const { rows } = await tx.query<EnvelopeFactsRow>(ENVELOPE_FACTS, [
    conversationId,
    senderId,
    input.clientId,
    input.attachments,
    input.deletes,
  ]);
  const facts = rows[0] as EnvelopeFactsRow;
  const verdict = judgeEnvelope(input, {
    earlier: facts.earlier && toEvent(facts.earlier),
    isMember: facts.is_member,
    uploads: new Map(facts.uploads.map((row) => [row.id, toStoredUpload(row)])),
    downloadable: new Set(facts.downloadable),
    deleteTarget: facts.delete_target,
    senderPeriods: facts.sender_periods,
    // A stranger's frame is refused before it matters.
    devicesVersion: facts.devices_version ?? 0,
    senderRole: facts.sender_role,
  });
  if (verdict.status === 'devices_changed') {
    const { rows: devices } = await tx.query<ConversationDeviceRow>(conversationDevicesSql('$1'), [conversationId]);
    return { status: 'devices_changed', devices: toConversationDevices(verdict.version, devices) };
  }
  if (verdict.status !== 'accepted') return verdict;
  const event = newEnvelopeEvent(input, seqAfter(lastSeq, conversationId), verdict.senderRole);
  if (verdict.deletesSeq !== null) {
    await tx.query(
      `WITH refs AS (DELETE FROM attachment_refs WHERE conversation_id = $1 AND seq = $2) ${purgeEnvelopeSql('$1', '$2')}`,
      [conversationId, verdict.deletesSeq],
    );
  }
  // Hidden by blocks whatever it says: the server cannot tell a message from anything else sealed.
  const { firstMessage } = await insertEvent(tx, event, facts.blocked_peer, {
    hiddenMembers: facts.group_blockers,
    uploadIds: input.attachments,
    markWriter: countsAsWriting(event.kind),
  });
  return {
    status: 'stored',
    event,
    memberIds: recipientsOf(facts.member_ids, facts.blocked_peer, facts.group_blockers),
    firstMessage,
  };
}
