import type { SettingRegister, StoredSetting } from '../../protocol/frames.js';
import { settingConversationId, settingKey } from '../../protocol/settings.js';
import type { Session } from './pg-connections.js';
import { contactsFrom, type WrittenWithRow } from './contacts.js';
import { toGroupWatermarks, type GroupWatermarkRow } from './event-visibility.js';
import {
  directPairKey,
  type BlockChange,
  type SetSettingsResult,
  type SettingsBudget,
  type ThawedWatermarks,
  type VisibilityChange,
} from './server-store.js';
import { freezeGroupWatermarksSql, sharedGroupsSql, writtenWithSql } from './shared-sql.js';
import {
  planSettings,
  requestRowsOf,
  sealedUsageOf,
  settingKeysOf,
  toStoredSetting,
  type SealedUsage,
  type SettingRecord,
} from './settings-rules.js';

/**
 * Personal settings (last-writer-wins registers, per user) and the blocks they make, in
 * PostgreSQL. setSettingsWith runs in one READ COMMITTED transaction the store opens: the merge
 * (settings-rules.ts), the versions, the block rows and what a block changes (watermark snapshots,
 * conversations kept from someone) commit together.
 */

interface SettingsFactsRow {
  was_member_of: string[];
  current: SettingRecord[];
  blocks: [blocker: string, blocked: string][];
}

// $1 user, $2 the conversations the registers name, $3 their keys, $4 the people they block or unblock.
const SETTINGS_FACTS = `
  SELECT (SELECT COALESCE(jsonb_agg(DISTINCT conversation_id), '[]') FROM member_periods
          WHERE user_id = $1 AND conversation_id = ANY($2::text[])) AS was_member_of,
         (SELECT COALESCE(jsonb_agg(to_jsonb(s)), '[]') FROM (
            SELECT key, setting, at, by, version FROM settings WHERE user_id = $1 AND key = ANY($3::text[])) s) AS current,
         (SELECT COALESCE(jsonb_agg(jsonb_build_array(blocker_id, blocked_id)), '[]') FROM blocks
          WHERE (blocker_id = $1 AND blocked_id = ANY($4::text[])) OR (blocked_id = $1 AND blocker_id = ANY($4::text[]))) AS blocks`;

export async function setSettingsWith(
  tx: Session,
  userId: string,
  registers: readonly SettingRegister[],
  budget: SettingsBudget,
): Promise<SetSettingsResult> {
  const named = registers.flatMap(({ setting }) => (setting.kind === 'blocked' ? [setting.userId] : []));
  // The user's row, and the rows of the people a block names, are locked (in id order, like every
  // lock on users) before any register is read: the user's settings writes run one at a time, and
  // a block between two people begins or ends wholly before or after anything else about the pair
  // (their other settings writes, the creation of their direct conversation). The user's sealed
  // totals come with the lock, so no other write of theirs can move them before this one commits.
  const { rows: locked } = await tx.query<SealedUsage & { id: string }>(
    `SELECT id, sealed_settings AS count, sealed_settings_bytes AS bytes FROM users WHERE id = ANY($1::text[])
     ORDER BY id FOR NO KEY UPDATE`,
    [[userId, ...named]],
  );
  const conversationIds = registers.flatMap(({ setting }) => settingConversationId(setting) ?? []);
  const { rows } = await tx.query<SettingsFactsRow>(SETTINGS_FACTS, [userId, conversationIds, settingKeysOf(registers), named]);
  const facts = rows[0] as SettingsFactsRow;
  const stood = new Set(facts.blocks.map(([blocker, blocked]) => `${blocker} ${blocked}`));
  const plan = planSettings(
    userId,
    registers,
    {
      wasMemberOf: (conversationId) => facts.was_member_of.includes(conversationId),
      userExists: (otherId) => locked.some((user) => user.id === otherId),
      current: new Map(facts.current.map((row) => [row.key, toStoredSetting(row)])),
      blocks: (blocker, blocked) => stood.has(`${blocker} ${blocked}`),
      sealed: sealedUsageOf(locked.find((user) => user.id === userId)),
    },
    budget,
  );
  if (plan.status === 'refused') return plan;
  const { settings, changed } = plan.withVersions(await bumpVersions(tx, userId, plan.winners.length, plan.sealedChange));
  // A key won twice in one frame is written once, as its latest.
  const thawed = changed.length > 0 ? await writeSettings(tx, userId, changed) : [];
  const blockChanges: BlockChange[] = [];
  for (const change of plan.blockChanges) blockChanges.push(await blockChanged(tx, userId, change.userId, change.standing));
  const visibilityChange = plan.visibilityChange && (await visibilityChanged(tx, userId, plan.visibilityChange.hidden));
  return { status: 'stored', settings, changed, blockChanges, thawed, visibilityChange };
}

/**
 * "Show when I'm online" changed: presence consults online_hidden. The people who share presence
 * with the user when they show it are who saw them until now (hidden) or see them from now on.
 */
async function visibilityChanged(tx: Session, userId: string, hidden: boolean): Promise<VisibilityChange> {
  await tx.query(
    hidden
      ? 'INSERT INTO online_hidden (user_id) VALUES ($1) ON CONFLICT DO NOTHING'
      : 'DELETE FROM online_hidden WHERE user_id = $1',
    [userId],
  );
  const { rows } = await tx.query<WrittenWithRow>(writtenWithSql('$1'), [userId]);
  return { hidden, contacts: contactsFrom(rows, { asIfShowing: true }) };
}

/**
 * Moves the user's counter past `count` new versions, and their sealed totals by `sealed` (one
 * UPDATE ... RETURNING, never read-then-write); the first of the versions. Nothing wins, nothing moves.
 */
async function bumpVersions(tx: Session, userId: string, count: number, sealed: SealedUsage): Promise<number> {
  if (count === 0) return 0;
  const { rows } = await tx.query<{ version: number }>(
    `UPDATE users SET settings_version = settings_version + $2, sealed_settings = sealed_settings + $3,
       sealed_settings_bytes = sealed_settings_bytes + $4
     WHERE id = $1 RETURNING settings_version AS version`,
    [userId, count, sealed.count, sealed.bytes],
  );
  return (rows[0] as { version: number }).version - count + 1;
}

/**
 * The registers, the blocks that stand now (a 'blocked' register whose value is true), and the
 * tables kept with the 'request' and 'group_adds' registers (settings-rules.ts: requestRowsOf).
 */
async function writeSettings(tx: Session, userId: string, changed: readonly StoredSetting[]): Promise<ThawedWatermarks[]> {
  const blocked = changed.flatMap(({ setting }) => (setting.kind === 'blocked' ? [setting] : []));
  const requestRows = requestRowsOf(changed);
  // A block that begins keeps the user's watermarks in the groups they share from the blocked
  // person; one lifted shows them again (the groups are answered, to tell them).
  const { rows } = await tx.query<{ viewer_id: string; watermarks: GroupWatermarkRow[] }>(
    `WITH written AS (
       INSERT INTO settings (user_id, key, setting, at, by, version)
       SELECT $1, r.key, r.setting, r.at, r.by, r.version
       FROM unnest($2::text[], $3::jsonb[], $4::bigint[], $5::text[], $6::bigint[]) AS r(key, setting, at, by, version)
       ON CONFLICT (user_id, key) DO UPDATE SET setting = excluded.setting, at = excluded.at, by = excluded.by,
         version = excluded.version),
     began AS (
       INSERT INTO blocks (blocker_id, blocked_id) SELECT $1, unnest($7::text[]) ON CONFLICT DO NOTHING RETURNING blocked_id),
     frozen AS (${freezeGroupWatermarksSql('$1', 'SELECT blocked_id FROM began')}),
     accepted AS (INSERT INTO accepted_requests (user_id, conversation_id) SELECT $1, unnest($9::text[]) ON CONFLICT DO NOTHING),
     unaccepted AS (DELETE FROM accepted_requests WHERE user_id = $1 AND conversation_id = ANY($10::text[])),
     restricted AS (INSERT INTO group_adds_restricted (user_id) SELECT $1 WHERE $11::boolean IS TRUE ON CONFLICT DO NOTHING),
     allowed AS (DELETE FROM group_adds_restricted WHERE user_id = $1 AND $11::boolean IS FALSE),
     lifted AS (DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = ANY($8::text[]) RETURNING blocked_id),
     thawed AS (DELETE FROM group_block_watermarks WHERE user_id = $1 AND viewer_id IN (SELECT blocked_id FROM lifted))
     SELECT lifted.blocked_id AS viewer_id,
       (SELECT COALESCE(json_agg(g), '[]') FROM (${sharedGroupsSql('$1', 'lifted.blocked_id')}) g) AS watermarks
     FROM lifted`,
    [
      userId,
      changed.map(({ setting }) => settingKey(setting)),
      changed.map(({ setting }) => setting),
      changed.map(({ at }) => at),
      changed.map(({ by }) => by),
      changed.map(({ version }) => version),
      blocked.filter((setting) => setting.value).map((setting) => setting.userId),
      blocked.filter((setting) => !setting.value).map((setting) => setting.userId),
      requestRows.accepted,
      requestRows.unaccepted,
      requestRows.restrictsGroupAdds,
    ],
  );
  return rows.map((row) => ({ viewerId: row.viewer_id, watermarks: toGroupWatermarks(row.watermarks) }));
}

/**
 * A block between the pair began (`standing`) or the last one was lifted. Beginning: their direct
 * conversation's watermarks are kept as they are now, which is what each is shown of the other's
 * while it stands. Lifting: those go, and a conversation kept from one of them is told to them now.
 */
async function blockChanged(tx: Session, userId: string, other: string, standing: boolean): Promise<BlockChange> {
  const { rows } = await tx.query<{ id: string; hidden_from: string | null }>(
    'SELECT id, hidden_from FROM conversations WHERE pair_key = $1',
    [directPairKey(userId, other)],
  );
  const conversation = rows[0];
  if (!conversation) return { userId: other, standing, conversationId: null, revealedTo: null };
  if (standing) {
    await snapshotWatermarks(tx, conversation.id);
    return { userId: other, standing, conversationId: conversation.id, revealedTo: null };
  }
  await tx.query(
    `WITH dropped AS (DELETE FROM block_watermarks WHERE conversation_id = $1)
     UPDATE conversations SET hidden_from = NULL WHERE id = $1 AND hidden_from IS NOT NULL`,
    [conversation.id],
  );
  return { userId: other, standing, conversationId: conversation.id, revealedTo: conversation.hidden_from };
}

async function snapshotWatermarks(tx: Session, conversationId: string): Promise<void> {
  await tx.query(
    `INSERT INTO block_watermarks (conversation_id, user_id, delivered_seq, read_seq)
     SELECT conversation_id, user_id, delivered_seq, read_seq FROM members WHERE conversation_id = $1
     ON CONFLICT (conversation_id, user_id) DO UPDATE SET delivered_seq = excluded.delivered_seq, read_seq = excluded.read_seq`,
    [conversationId],
  );
}

/**
 * A direct conversation just made while a block stands between the pair: the other person is not
 * told of it (not listed, no conversation_added) until the block is lifted, and each is shown the
 * other's watermarks as they are now (nothing yet). Returns who it is kept from, or null.
 */
export async function keepNewDirectFrom(
  tx: Session,
  conversationId: string,
  creatorId: string,
  otherId: string,
): Promise<string | null> {
  const { rowCount } = await tx.query(
    `UPDATE conversations SET hidden_from = $3 WHERE id = $1 AND EXISTS (
       SELECT 1 FROM blocks WHERE (blocker_id = $2 AND blocked_id = $3) OR (blocker_id = $3 AND blocked_id = $2))`,
    [conversationId, creatorId, otherId],
  );
  if (rowCount === 0) return null;
  await snapshotWatermarks(tx, conversationId);
  return otherId;
}

/**
 * The person asks for a direct conversation kept from them (they start it themselves): it is
 * theirs to see from now on; what was hidden from them in it stays hidden.
 */
export async function revealDirectTo(tx: Session, conversationId: string, userId: string): Promise<void> {
  await tx.query('UPDATE conversations SET hidden_from = NULL WHERE id = $1 AND hidden_from = $2', [conversationId, userId]);
}
