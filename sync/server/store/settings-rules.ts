import { z } from 'zod';
import { settingSchema, type Setting, type SettingRegister, type StoredSetting } from '../../protocol/frames.js';
import { ACCOUNT_CAPS } from '../../protocol/limits.js';
import { DEFAULT_ONLINE_VISIBILITY } from '../../protocol/presence-rules.js';
import { blockedBetween, settingConversationId, settingKey, supersedes } from '../../protocol/settings.js';
import { refused } from './append-rules.js';
import type { Refused, SettingsBudget } from './server-store.js';

/**
 * Merging personal settings (last-writer-wins registers, per user) and the blocks they make, for
 * every store: the store reads the user's registers and blocks inside the transaction that writes
 * them, merges here, and writes what changed; nothing here reads or writes.
 */

/** A row of `settings` as the store read it, its setting as parsed JSON. */
export interface SettingRecord {
  key: string;
  setting: unknown;
  at: number;
  by: string;
  version: number;
}

/** A row no version of this server writes fails loudly rather than being served. */
export function toStoredSetting(row: SettingRecord): StoredSetting {
  const parsed = settingSchema.safeParse(row.setting);
  if (!parsed.success) throw new Error(`Corrupt setting ${row.key}: ${z.prettifyError(parsed.error)}`);
  return { setting: parsed.data, at: row.at, by: row.by, version: row.version };
}

/**
 * The budget of sealed settings (ACCOUNT_CAPS), for every store: the user's row keeps a running
 * count and size of their sealed registers, read in the transaction that writes them and moved by
 * the difference the write makes (sealedChangeOf); the store never sums the registers anew.
 */
export type { SettingsBudget };

export const DEFAULT_SETTINGS_BUDGET: SettingsBudget = {
  sealedSettings: ACCOUNT_CAPS.maxSealedSettings,
  sealedSettingsBytes: ACCOUNT_CAPS.maxSealedSettingsBytes,
};

/** No budget: for filling a store by hand (tests of other rules). */
export const UNBUDGETED: SettingsBudget = { sealedSettings: Infinity, sealedSettingsBytes: Infinity };

/** A user's sealed registers: how many, and the characters of their keys and values. */
export interface SealedUsage {
  count: number;
  bytes: number;
}

/**
 * The user's sealed totals as a store reads them from their row (`sealed_settings AS count,
 * sealed_settings_bytes AS bytes`); without a row there are no registers to count.
 */
export function sealedUsageOf(row: SealedUsage | undefined): SealedUsage {
  return row ? { count: row.count, bytes: row.bytes } : { count: 0, bytes: 0 };
}

/**
 * What a register counts against the budget: a sealed one its key and its value (base64url and
 * base64, so characters are bytes), the settings the server reads nothing (a few per person, or one
 * per person or conversation they name, each small). The migrations that filled the totals count
 * the same (SQLite 18, PostgreSQL 15), and so does migrate-store.
 */
export function sealedSize(setting: Setting): number {
  return setting.kind === 'sealed' ? setting.key.length + setting.value.length : 0;
}

/** What a settings write is judged and merged on, read in the transaction that would write it. */
export interface SettingsFacts {
  /** Whether the user is or was in the conversation. */
  wasMemberOf: (conversationId: string) => boolean;
  userExists: (userId: string) => boolean;
  /** The user's stored registers of the keys the frame names (settingKeysOf). */
  current: ReadonlyMap<string, StoredSetting>;
  /** Which blocks stood before the write, between the user and the people the frame names. */
  blocks: (blocker: string, blocked: string) => boolean;
  /** The user's sealed registers before the write (the running totals on their row). */
  sealed: SealedUsage;
}

export interface SettingsPlan extends SettingsMerge {
  status: 'accepted';
  /** The pairs between whom a block begins (`standing`) or the last one is lifted by the winners. */
  blockChanges: { userId: string; standing: boolean }[];
  /** "Show when I'm online" as the winners leave it, when that differs from before; null otherwise. */
  visibilityChange: { hidden: boolean } | null;
  /** What the winners add to the user's sealed totals (bytes may be negative: a smaller value replaced a larger one). */
  sealedChange: SealedUsage;
}

/**
 * Merges `registers` into the user's settings, last writer wins per key (settings.ts: supersedes),
 * once every register has passed its check and the merge fits the user's budget of sealed
 * settings; what to write and what it changes.
 */
export function planSettings(
  userId: string,
  registers: readonly SettingRegister[],
  facts: SettingsFacts,
  budget: SettingsBudget,
): Refused | SettingsPlan {
  const refusal = refuseSettings(userId, registers, facts);
  if (refusal) return refusal;
  const merge = mergeSettings(registers, facts.current);
  const sealedChange = sealedChangeOf(merge.winners, facts.current);
  const overBudget = refuseOverBudget(facts.sealed, sealedChange, budget);
  if (overBudget) return overBudget;
  return {
    status: 'accepted',
    ...merge,
    blockChanges: blockChangesOf(userId, merge.winners, facts.blocks),
    visibilityChange: visibilityChangeOf(merge.winners, facts.current),
    sealedChange,
  };
}

/**
 * What the winners change in the user's sealed totals: each key the frame writes counts once, as
 * its last winner, less what it held before (nothing for a new key). A register is never deleted,
 * so the count only grows; the size shrinks when a value is replaced by a smaller one.
 */
export function sealedChangeOf(winners: readonly SettingRegister[], current: ReadonlyMap<string, StoredSetting>): SealedUsage {
  const latest = new Map<string, Setting>();
  for (const { setting } of winners) if (setting.kind === 'sealed') latest.set(settingKey(setting), setting);
  const change: SealedUsage = { count: 0, bytes: 0 };
  for (const [key, setting] of latest) {
    const before = current.get(key);
    if (!before) change.count += 1;
    change.bytes += sealedSize(setting) - (before ? sealedSize(before.setting) : 0);
  }
  return change;
}

/**
 * `settings_full` when the write would take the user's sealed registers past the budget, in their
 * number or their size: the whole frame is refused, nothing of it stored. Only a write that grows
 * a total past its limit is: one that leaves it as it was or shrinks it goes through even while
 * the user holds more than the budget (a budget lowered since), so a device can always make room.
 */
export function refuseOverBudget(before: SealedUsage, change: SealedUsage, budget: SettingsBudget): Refused | null {
  const passes = (total: number, added: number, limit: number) => added > 0 && total + added > limit;
  if (
    passes(before.count, change.count, budget.sealedSettings) ||
    passes(before.bytes, change.bytes, budget.sealedSettingsBytes)
  ) {
    return refused('settings_full');
  }
  return null;
}

/**
 * Every register is checked before any is written: a conversation setting needs a conversation
 * the user is or was in (else conversation_not_found, as for a stranger), a block another existing
 * user. null when all may be merged.
 */
function refuseSettings(userId: string, registers: readonly SettingRegister[], facts: SettingsFacts): Refused | null {
  for (const { setting } of registers) {
    const conversationId = settingConversationId(setting);
    if (conversationId !== null) {
      if (!facts.wasMemberOf(conversationId)) return refused('conversation_not_found');
    } else if (setting.kind === 'blocked') {
      if (setting.userId === userId) return refused('cannot_block_yourself');
      if (!facts.userExists(setting.userId)) return refused('no_such_user');
    }
  }
  return null;
}

/** The keys a frame's registers name, each once, in the frame's order. */
export function settingKeysOf(registers: readonly SettingRegister[]): string[] {
  return [...new Set(registers.map((register) => settingKey(register.setting)))];
}

interface SettingsMerge {
  /** The registers that win, in the frame's order: each takes the next version of the user's counter. */
  winners: SettingRegister[];
  /** Once the winners have versions `firstVersion`, `firstVersion + 1`, …: what the store answers. */
  withVersions(firstVersion: number): {
    /** Every winner with its version, in order: what the store writes. */
    written: StoredSetting[];
    /** Each key the frame named, as stored now (the winner of the merge), in the frame's order. */
    settings: StoredSetting[];
    /** A key written twice in one frame changed once for whoever hears of it: its latest version. */
    changed: StoredSetting[];
  };
}

/** Merges the registers into `current` (the user's stored registers of those keys), last writer wins per key. */
function mergeSettings(registers: readonly SettingRegister[], current: ReadonlyMap<string, StoredSetting>): SettingsMerge {
  const latest = new Map<string, SettingRegister>(current);
  const winners = registers.filter((register) => {
    const key = settingKey(register.setting);
    if (!supersedes(register, latest.get(key) ?? null)) return false;
    latest.set(key, register);
    return true;
  });
  return {
    winners,
    withVersions(firstVersion) {
      const written = winners.map((register, index) => ({ ...register, version: firstVersion + index }));
      const stored = new Map<string, StoredSetting>(current);
      for (const setting of written) stored.set(settingKey(setting.setting), setting);
      const settings = settingKeysOf(registers).map((key) => stored.get(key) as StoredSetting);
      return { written, settings, changed: written.filter((setting) => stored.get(settingKey(setting.setting)) === setting) };
    },
  };
}

/** The pairs between whom a block begins (`standing`) or the last one is lifted by the winners. */
function blockChangesOf(
  userId: string,
  winners: readonly SettingRegister[],
  blocks: (blocker: string, blocked: string) => boolean,
): { userId: string; standing: boolean }[] {
  const mine = new Map<string, boolean>();
  for (const { setting } of winners) if (setting.kind === 'blocked') mine.set(setting.userId, setting.value);
  return [...mine].flatMap(([other, blocking]) => {
    const before = blockedBetween(userId, other, blocks);
    const after = blocking || blocks(other, userId);
    return before === after ? [] : [{ userId: other, standing: after }];
  });
}

/**
 * What the changed registers leave in the tables kept with them (request-rules.ts): the
 * conversations whose request is accepted now or no more (accepted_requests), and whether "Who
 * can add me to groups" is "My contacts" now (group_adds_restricted; null when it did not change).
 */
export function requestRowsOf(changed: readonly StoredSetting[]): {
  accepted: string[];
  unaccepted: string[];
  restrictsGroupAdds: boolean | null;
} {
  const requests = changed.flatMap(({ setting }) => (setting.kind === 'request' ? [setting] : []));
  const groupAdds = changed.flatMap(({ setting }) => (setting.kind === 'group_adds' ? [setting.value] : [])).at(-1);
  return {
    accepted: requests.filter((setting) => setting.value.answer === 'accepted').map((setting) => setting.conversationId),
    unaccepted: requests.filter((setting) => setting.value.answer !== 'accepted').map((setting) => setting.conversationId),
    restrictsGroupAdds: groupAdds === undefined ? null : groupAdds === 'contacts',
  };
}

const SHOW_ONLINE_KEY = settingKey({ kind: 'show_online', value: DEFAULT_ONLINE_VISIBILITY });

/** Whether the winners change "Show when I'm online" (never set: DEFAULT_ONLINE_VISIBILITY), and to what. */
function visibilityChangeOf(
  winners: readonly SettingRegister[],
  current: ReadonlyMap<string, StoredSetting>,
): { hidden: boolean } | null {
  const visibilityOf = (setting: Setting | undefined) => (setting?.kind === 'show_online' ? setting.value : null);
  const before = visibilityOf(current.get(SHOW_ONLINE_KEY)?.setting) ?? DEFAULT_ONLINE_VISIBILITY;
  const after = winners.reduce((latest, { setting }) => visibilityOf(setting) ?? latest, before);
  return after === before ? null : { hidden: after === 'nobody' };
}
