import type { EnvelopeEvent } from '../../protocol/envelope-frames.js';
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
  insertEvents,
  periodsJson,
  recipientsOf,
  seqAfter,
  type Audience,
  type EventToInsert,
} from './pg-queries.js';
import type { EnvelopeResult, NewEnvelope } from './server-store.js';
import { deleteTargetSql, downloadableToSql, purgeEnvelopeSql } from './shared-sql.js';
import { toEvent, toStoredUpload, type EventRecord, type UploadRow } from './store-rows.js';

/**
 * Appending sealed envelopes to their conversations' logs in PostgreSQL, one or several of distinct
 * conversations together (group commit: PostgresServerStore), in one READ COMMITTED transaction of
 * four statements whatever their number: the conversations are locked first, as every writer of a
 * conversation locks it (lockConversation), so the facts the rules judge (append-rules.ts:
 * judgeEnvelope) are read after the last event they depend on was committed; then their facts in
 * one statement, the inserts in one (insertEvents), and the purge of an envelope one of them deletes,
 * in the same transaction.
 */

interface EnvelopeFactsRow extends Audience {
  /** The envelope's position among those appended together, from 1. */
  request: number;
  earlier: EventRecord | null;
  group_blockers: string[];
  uploads: UploadRow[];
  downloadable: string[];
  delete_target: (HiddenFacts & { sender_id: string; deleted: boolean }) | null;
  sender_periods: Period[];
  /** Null for a conversation that is gone. */
  devices_version: number | null;
  /**
   * Null when the sender is not a member. (Membership is read from this alone: an EXISTS beside it,
   * correlated with the request, is planned as a hash of every member row.)
   */
  sender_role: Role | null;
}

// $1–$4 each envelope's conversation, sender, client id and the client id it deletes (NULL: none),
// side by side; $5, $6 the (request, upload id) pairs of their attachments, `request` being the
// envelope's position from 1.
const ENVELOPE_FACTS = `
  WITH req AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
      AS req(conversation, sender, client_id, deletes, request)),
  req_upload AS MATERIALIZED (SELECT * FROM unnest($5::bigint[], $6::text[]) AS x(request, upload_id))
  SELECT req.request,
         ${earlierEventJson('req.sender', 'req.client_id')} AS earlier,
         (SELECT role FROM members WHERE conversation_id = req.conversation AND user_id = req.sender) AS sender_role,
         ${audienceColumns('req.conversation', 'req.sender')},
         ${groupBlockersColumn('req.conversation', 'req.sender')},
         -- KEY SHARE: an upload checked here cannot be deleted (deleteUpload) before the envelope refers to it.
         (SELECT COALESCE(jsonb_agg(to_jsonb(u)), '[]') FROM (
            SELECT * FROM uploads WHERE id IN (SELECT upload_id FROM req_upload WHERE req_upload.request = req.request) FOR KEY SHARE) u) AS uploads,
         (SELECT COALESCE(jsonb_agg(u.id), '[]') FROM uploads u
          WHERE u.id IN (SELECT upload_id FROM req_upload WHERE req_upload.request = req.request) AND ${downloadableToSql('req.sender', 'u')}) AS downloadable,
         (SELECT to_jsonb(t) FROM (${deleteTargetSql('req.conversation', 'req.deletes', 'req.sender')}) t) AS delete_target,
         ${periodsJson('req.conversation', 'req.sender')} AS sender_periods,
         (SELECT devices_version FROM conversations WHERE id = req.conversation) AS devices_version
  FROM req`;

/**
 * How the conversations are locked: waiting for each, or (a batch) skipping one another
 * transaction holds, so that a batch never waits for a row while it holds others, and runs on two
 * nodes that share conversations do not queue behind each other's whole transaction.
 */
export type ConversationLocking = 'wait' | 'skip_locked';

const LOCK_CONVERSATIONS: Record<ConversationLocking, string> = {
  wait: 'SELECT id, last_seq FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE',
  skip_locked: 'SELECT id, last_seq FROM conversations WHERE id = ANY($1::text[]) FOR NO KEY UPDATE SKIP LOCKED',
};

/**
 * Appends envelopes of distinct conversations in the transaction `tx`: for each, its answer, or
 * null when it lost a race and nothing of it was stored: its conversation was skipped as another
 * transaction held it, or its client id was taken (by a resend stored in another conversation
 * since, or by another of these).
 */
export async function appendEnvelopesWith(
  tx: Session,
  inputs: readonly NewEnvelope[],
  locking: ConversationLocking,
): Promise<Array<EnvelopeResult | null>> {
  const { rows: locked } = await tx.query<{ id: string; last_seq: number }>(LOCK_CONVERSATIONS[locking], [
    inputs.map((input) => input.conversationId),
  ]);
  const lastSeqs = new Map(locked.map((row) => [row.id, row.last_seq]));
  const uploads = inputs.flatMap((input, i) => input.attachments.map((id) => [i + 1, id] as const));
  const { rows } = await tx.query<EnvelopeFactsRow>(ENVELOPE_FACTS, [
    inputs.map((input) => input.conversationId),
    inputs.map((input) => input.senderId),
    inputs.map((input) => input.clientId),
    inputs.map((input) => input.deletes),
    uploads.map(([request]) => request),
    uploads.map(([, id]) => id),
  ]);
  const factsByRequest = new Map(rows.map((row) => [Number(row.request), row]));
  const answers: Array<EnvelopeResult | null> = [];
  const toInsert: Array<{
    at: number;
    event: EnvelopeEvent;
    row: EventToInsert;
    memberIds: string[];
    deletesSeq: number | null;
  }> = [];
  const clientIds = new Set<string>();
  for (const [i, input] of inputs.entries()) {
    const facts = factsByRequest.get(i + 1);
    if (!facts) throw new Error(`No facts came back for envelope ${input.clientId}`);
    // A conversation that exists but was not locked was skipped; one that is gone is refused below.
    if (!lastSeqs.has(input.conversationId) && facts.devices_version !== null) {
      answers.push(null);
      continue;
    }
    const verdict = judgeEnvelope(input, {
      earlier: facts.earlier && toEvent(facts.earlier),
      isMember: facts.sender_role !== null,
      uploads: new Map(facts.uploads.map((row) => [row.id, toStoredUpload(row)])),
      downloadable: new Set(facts.downloadable),
      deleteTarget: facts.delete_target,
      senderPeriods: facts.sender_periods,
      // A stranger's frame is refused before it matters.
      devicesVersion: facts.devices_version ?? 0,
      senderRole: facts.sender_role,
    });
    answers.push(verdict.status === 'accepted' ? null : await answerUnstored(tx, input, verdict));
    if (verdict.status !== 'accepted') continue;
    // Two of one sender's client id at once: the later is a resend, told so once the first is stored.
    const clientKey = JSON.stringify([input.senderId, input.clientId]);
    if (clientIds.has(clientKey)) continue;
    clientIds.add(clientKey);
    const event = newEnvelopeEvent(
      input,
      seqAfter(lastSeqs.get(input.conversationId) ?? null, input.conversationId),
      verdict.senderRole,
    );
    toInsert.push({
      at: i,
      event,
      // Hidden by blocks whatever it says: the server cannot tell a message from anything else sealed.
      row: {
        event,
        hiddenFrom: facts.blocked_peer,
        hiddenMembers: facts.group_blockers,
        uploadIds: input.attachments,
        markWriter: countsAsWriting(event.kind),
      },
      memberIds: recipientsOf(facts.member_ids, facts.blocked_peer, facts.group_blockers),
      deletesSeq: verdict.deletesSeq,
    });
  }
  if (toInsert.length === 0) return answers;
  const stored = await insertEvents(
    tx,
    toInsert.map(({ row }) => row),
  );
  for (const [j, { at, event, memberIds, deletesSeq }] of toInsert.entries()) {
    const done = stored[j];
    if (!done) continue;
    // Only once the envelope that deletes is stored: one that lost its race leaves its target as it was.
    if (deletesSeq !== null) {
      await tx.query(
        `WITH refs AS (DELETE FROM attachment_refs WHERE conversation_id = $1 AND seq = $2) ${purgeEnvelopeSql('$1', '$2')}`,
        [event.conversationId, deletesSeq],
      );
    }
    answers[at] = { status: 'stored', event, memberIds, firstMessage: done.firstMessage };
  }
  return answers;
}

/** The answer for an envelope the rules did not accept: theirs, or the devices now for one sealed for others. */
async function answerUnstored(
  tx: Session,
  input: NewEnvelope,
  verdict: Exclude<ReturnType<typeof judgeEnvelope>, { status: 'accepted' }>,
): Promise<EnvelopeResult> {
  if (verdict.status !== 'devices_changed') return verdict;
  const { rows: devices } = await tx.query<ConversationDeviceRow>(conversationDevicesSql('$1'), [input.conversationId]);
  return { status: 'devices_changed', devices: toConversationDevices(verdict.version, devices) };
}
