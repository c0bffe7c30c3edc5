import { z } from 'zod';
import { settingSchema, type Setting, type SettingRegister, type StoredSetting } from '../../protocol/frames.js';
import { blockedBetween, settingKey, settingConversationId, supersedes } from '../../protocol/settings.js';
import { directPairKey, type BlockChange, type SetSettingsResult, type SettingsPage } from './server-store.js';
import type { ConversationRow } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';

/**
 * Personal settings (last-writer-wins registers, per user) and the blocks they make. The functions
 * ending in `In` run inside one transaction the store opens: the merge, the version, the block
 * row and what a block changes (watermark snapshots, conversations kept from someone) commit together.
 */

interface SettingRow {
  key: string;
  setting: string;
  at: number;
  by: string;
  version: number;
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
 * Merges `registers` into `userId`'s settings, last writer wins per key (settings.ts:
 * supersedes). Every register is checked before any is written: a conversation setting needs a
 * conversation the user is or was in (else conversation_not_found, as for a stranger), a block
 * another existing user. Each register that wins gets the next version of the user's counter.
 */
export function setSettingsIn(s: Statements, userId: string, registers: readonly SettingRegister[]): SetSettingsResult {
  for (const { setting } of registers) {
    const conversationId = settingConversationId(setting);
    if (conversationId !== null) {
      if (!s.hasPeriod.get(conversationId, userId)) return { status: 'refused', reason: 'conversation_not_found' };
    } else if (setting.kind === 'blocked') {
      if (setting.userId === userId) return { status: 'refused', reason: 'cannot_block_yourself' };
      if (!s.userById.get(setting.userId)) return { status: 'refused', reason: 'no_such_user' };
    }
  }
  /** Block between the user and each person a 'blocked' register names, before any write. */
  const blockedBefore = new Map<string, boolean>();
  const changed: StoredSetting[] = [];
  const keys: string[] = [];
  for (const register of registers) {
    const key = settingKey(register.setting);
    if (!keys.includes(key)) keys.push(key);
    const current = s.settingByKey.get(userId, key) as SettingRow | undefined;
    if (current && !supersedes(register, current)) continue;
    const { version } = s.bumpSettingsVersion.get(userId) as { version: number };
    s.upsertSetting.run({ userId, key, setting: JSON.stringify(register.setting), at: register.at, by: register.by, version });
    changed.push({ ...register, version });
    if (register.setting.kind === 'blocked') {
      const other = register.setting.userId;
      if (!blockedBefore.has(other)) blockedBefore.set(other, blockBetween(s, userId, other));
      if (register.setting.value) s.insertBlock.run(userId, other);
      else s.deleteBlock.run(userId, other);
    }
  }
  const blockChanges: BlockChange[] = [];
  for (const [other, before] of blockedBefore) {
    const after = blockBetween(s, userId, other);
    if (after !== before) blockChanges.push(blockChanged(s, userId, other, after));
  }
  // A key written twice in one frame changed once for whoever hears of it: its latest version.
  const latest = changed.filter(
    (register, index) => !changed.slice(index + 1).some((later) => settingKey(later.setting) === settingKey(register.setting)),
  );
  const settings = keys.map((key) => toStoredSetting(s.settingByKey.get(userId, key) as SettingRow));
  return { status: 'stored', settings, changed: latest, blockChanges };
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
  return { settings: rows.slice(0, limit).map(toStoredSetting), hasMore: rows.length > limit };
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

/** The watermarks `viewerId` is shown instead of the real ones: conversation → member → frozen. */
export type FrozenWatermarks = Map<string, Map<string, { deliveredSeq: number; readSeq: number }>>;

export function frozenWatermarksIn(s: Statements, viewerId: string, conversationId?: string): FrozenWatermarks {
  const rows = (
    conversationId === undefined
      ? s.frozenWatermarksFor.all({ userId: viewerId })
      : s.frozenWatermarksIn.all(conversationId, viewerId)
  ) as { conversation_id: string; user_id: string; delivered_seq: number; read_seq: number }[];
  const frozen: FrozenWatermarks = new Map();
  for (const row of rows) {
    const members = frozen.get(row.conversation_id) ?? new Map<string, { deliveredSeq: number; readSeq: number }>();
    members.set(row.user_id, { deliveredSeq: row.delivered_seq, readSeq: row.read_seq });
    frozen.set(row.conversation_id, members);
  }
  return frozen;
}

function toStoredSetting(row: SettingRow): StoredSetting {
  return { setting: parseSetting(row), at: row.at, by: row.by, version: row.version };
}

/** A row no version of this server writes fails loudly rather than being served. */
function parseSetting(row: SettingRow): Setting {
  let json: unknown;
  try {
    json = JSON.parse(row.setting);
  } catch (error) {
    if (error instanceof SyntaxError) throw new Error(`Corrupt setting ${row.key}: not JSON`, { cause: error });
    throw error;
  }
  const parsed = settingSchema.safeParse(json);
  if (!parsed.success) throw new Error(`Corrupt setting ${row.key}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
