import type { SettingRegister, StoredSetting } from '../../protocol/frames.js';
import { blockedBetween, settingKey } from '../../protocol/settings.js';
import { toFrozenWatermarks, toGroupWatermarks, type FrozenWatermarks, type GroupWatermarkRow } from './event-visibility.js';
import { contactsFrom, type WrittenWithRow } from './contacts.js';
import {
  directPairKey,
  type BlockChange,
  type SetSettingsResult,
  type SettingsBudget,
  type SettingsPage,
  type ThawedWatermarks,
  type VisibilityChange,
} from './server-store.js';
import {
  planSettings,
  requestRowsOf,
  sealedUsageOf,
  settingKeysOf,
  toStoredSetting,
  type SealedUsage,
  type SettingRecord,
} from './settings-rules.js';
import type { Statements } from './sqlite-statements.js';
import type { ConversationRow } from './store-rows.js';

/**
 * Personal settings (last-writer-wins registers, per user) and the blocks they make. The functions
 * ending in `In` run inside one transaction the store opens: the merge, the version, the block
 * row and what a block changes (watermark snapshots, conversations kept from someone) commit together.
 */

interface SettingRow extends SettingRecord {
  setting: string;
}

/** Whether `blocker` has blocked `blocked` (a block stands from them). */
function blocks(s: Statements, blocker: string, blocked: string): boolean {
  return s.blocks.get(blocker, blocked) !== undefined;
}

/** Whether a block stands between two people, whoever made it (settings.ts: blockedBetween). */
export function blockBetween(s: Statements, a: string, b: string): boolean {
  return blockedBetween(a, b, (blocker, blocked) => blocks(s, blocker, blocked));
}

/** Everyone with a block between them and `userId`. */
export function blockedWithIn(s: Statements, userId: string): string[] {
  return (s.blockedWith.all({ userId }) as { user_id: string }[]).map((row) => row.user_id);
}

/**
 * The other person of a direct conversation when a block stands between them and `userId`: what
 * `userId` stores there now is hidden from them. null in groups and when no block stands.
 */
export function blockedPeerIn(s: Statements, conversationId: string, userId: string): string | null {
  const conversation = s.conversationById.get(conversationId) as ConversationRow | undefined;
  if (conversation?.kind !== 'direct') return null;
  const peer = (s.memberIdsOf.all(conversationId) as { user_id: string }[]).find((row) => row.user_id !== userId);
  return peer && blockBetween(s, userId, peer.user_id) ? peer.user_id : null;
}

/**
 * Merges `registers` into `userId`'s settings (settings-rules.ts): every register is checked before
 * any is written (the sealed ones against `budget` too), and each register that wins gets the next
 * version of the user's counter, which moves with the user's sealed totals in one UPDATE.
 */
export function setSettingsIn(
  s: Statements,
  userId: string,
  registers: readonly SettingRegister[],
  budget: SettingsBudget,
): SetSettingsResult {
  const current = new Map<string, StoredSetting>();
  for (const key of settingKeysOf(registers)) {
    const row = s.settingByKey.get(userId, key) as SettingRow | undefined;
    if (row) current.set(key, fromRow(row));
  }
  const plan = planSettings(
    userId,
    registers,
    {
      wasMemberOf: (conversationId) => s.hasPeriod.get(conversationId, userId) !== undefined,
      userExists: (otherId) => s.userById.get(otherId) !== undefined,
      current,
      blocks: (blocker, blocked) => blocks(s, blocker, blocked),
      sealed: sealedUsageOf(s.sealedUsage.get(userId) as SealedUsage | undefined),
    },
    budget,
  );
  if (plan.status === 'refused') return plan;
  const { written, settings, changed } = plan.withVersions(bumpVersions(s, userId, plan.winners.length, plan.sealedChange));
  const thawed: ThawedWatermarks[] = [];
  for (const register of written) {
    const { setting, at, by, version } = register;
    s.upsertSetting.run({ userId, key: settingKey(setting), setting: JSON.stringify(setting), at, by, version });
    if (setting.kind !== 'blocked') continue;
    const pair = { blocker: userId, blocked: setting.userId };
    // The user's watermarks in the groups they share are kept from the blocked person while it stands.
    if (setting.value) {
      if (s.insertBlock.run(userId, setting.userId).changes === 1) s.freezeGroupWatermarks.run(pair);
    } else if (s.deleteBlock.run(userId, setting.userId).changes === 1) {
      s.thawGroupWatermarks.run(pair);
      thawed.push({ viewerId: setting.userId, watermarks: toGroupWatermarks(s.sharedGroups.all(pair) as GroupWatermarkRow[]) });
    }
  }
  const requestRows = requestRowsOf(changed);
  for (const conversationId of requestRows.accepted) s.acceptRequest.run(userId, conversationId);
  for (const conversationId of requestRows.unaccepted) s.unacceptRequest.run(userId, conversationId);
  if (requestRows.restrictsGroupAdds !== null)
    (requestRows.restrictsGroupAdds ? s.restrictGroupAdds : s.allowGroupAdds).run(userId);
  const blockChanges = plan.blockChanges.map((change) => blockChanged(s, userId, change.userId, change.standing));
  const visibilityChange = plan.visibilityChange && visibilityChanged(s, userId, plan.visibilityChange.hidden);
  return { status: 'stored', settings, changed, blockChanges, thawed, visibilityChange };
}

/**
 * "Show when I'm online" changed: presence consults online_hidden. The people who share presence
 * with the user when they show it are who saw them until now (hidden) or see them from now on.
 */
function visibilityChanged(s: Statements, userId: string, hidden: boolean): VisibilityChange {
  if (hidden) s.hideOnline.run(userId);
  else s.showOnline.run(userId);
  return { hidden, contacts: contactsFrom(s.writtenWith.all({ userId }) as WrittenWithRow[], { asIfShowing: true }) };
}

/**
 * Moves the user's counter past `count` new versions, and their sealed totals by `sealed` (one
 * UPDATE ... RETURNING, never read-then-write); the first of the versions. Nothing wins, nothing moves.
 */
function bumpVersions(s: Statements, userId: string, count: number, sealed: SealedUsage): number {
  if (count === 0) return 0;
  const { version } = s.bumpSettingsVersion.get({ userId, count, sealed: sealed.count, sealedBytes: sealed.bytes }) as {
    version: number;
  };
  return version - count + 1;
}

/**
 * A block between the pair began (`standing`) or the last one was lifted. Beginning: their direct
 * conversation's watermarks are kept as they are now, which is what each is shown of the other's
 * while it stands. Lifting: those go, and a conversation kept from one of them is told to them now.
 */
function blockChanged(s: Statements, userId: string, other: string, standing: boolean): BlockChange {
  const conversation = s.conversationByPair.get(directPairKey(userId, other)) as ConversationRow | undefined;
  if (!conversation) return { userId: other, standing, conversationId: null, revealedTo: null };
  if (standing) {
    s.snapshotWatermarks.run(conversation.id);
    return { userId: other, standing, conversationId: conversation.id, revealedTo: null };
  }
  s.dropWatermarkSnapshots.run(conversation.id);
  const { hidden_from: revealedTo } = s.hiddenFromOf.get(conversation.id) as { hidden_from: string | null };
  if (revealedTo !== null) s.hideConversation.run(null, conversation.id);
  return { userId: other, standing, conversationId: conversation.id, revealedTo };
}

/** The user's settings changed after `afterVersion`, oldest change first. */
export function listSettingsIn(s: Statements, userId: string, afterVersion: number, limit: number): SettingsPage {
  // One row more than asked tells whether another page exists without a COUNT.
  const rows = s.settingsAfter.all(userId, afterVersion, limit + 1) as SettingRow[];
  return { settings: rows.slice(0, limit).map(fromRow), hasMore: rows.length > limit };
}

/**
 * A direct conversation just made while a block stands between the pair: the other person is not
 * told of it (not listed, no conversation_added) until the block is lifted, and each is shown the
 * other's watermarks as they are now (nothing yet). Returns who it is kept from, or null.
 */
export function keepNewDirectFrom(s: Statements, conversationId: string, creatorId: string, otherId: string): string | null {
  if (!blockBetween(s, creatorId, otherId)) return null;
  s.hideConversation.run(otherId, conversationId);
  s.snapshotWatermarks.run(conversationId);
  return otherId;
}

/**
 * The person asks for a direct conversation kept from them (they start it themselves): it is
 * theirs to see from now on; what was hidden from them in it stays hidden.
 */
export function revealDirectTo(s: Statements, conversationId: string, userId: string): void {
  const row = s.hiddenFromOf.get(conversationId) as { hidden_from: string | null } | undefined;
  if (row?.hidden_from === userId) s.hideConversation.run(null, conversationId);
}

/**
 * The watermarks `viewerId` is shown instead of the real ones, kept by blocks in direct
 * conversations and in groups: in one conversation, or in a page of theirs (ids after `after` up to `last`).
 */
export function frozenWatermarksIn(
  s: Statements,
  viewerId: string,
  which: { conversationId: string } | { after: string; last: string },
): FrozenWatermarks {
  type Rows = Parameters<typeof toFrozenWatermarks>[0];
  const direct = (
    'conversationId' in which
      ? s.frozenWatermarksIn.all(which.conversationId, viewerId)
      : s.frozenWatermarksFor.all({ userId: viewerId, ...which })
  ) as Rows;
  const groups = (
    'conversationId' in which
      ? s.groupFrozenWatermarksIn.all({ userId: viewerId, conversationId: which.conversationId })
      : s.groupFrozenWatermarksFor.all({ userId: viewerId, ...which })
  ) as Rows;
  return toFrozenWatermarks([...direct, ...groups]);
}

/** SQLite keeps the setting as JSON text; one that is not JSON is as corrupt as one that does not match. */
function fromRow(row: SettingRow): StoredSetting {
  let setting: unknown;
  try {
    setting = JSON.parse(row.setting);
  } catch (error) {
    if (error instanceof SyntaxError) throw new Error(`Corrupt setting ${row.key}: not JSON`, { cause: error });
    throw error;
  }
  return toStoredSetting({ ...row, setting });
}
