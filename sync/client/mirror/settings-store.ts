import { DRAFT_PREVIEW_CHARS } from '../../app-api/draft-preview.js';
import { REVOCATIONS_META_KEY } from './revocation-store.js';
import { z } from 'zod';
import type { Clock, Random } from '../../common/runtime.js';
import type { GroupAdds, OnlineVisibility, SettingRegister, User } from '../../protocol/frames.js';
import {
  personalSettingConversationId,
  personalSettingKey,
  personalSettingSchema,
  personalSettingUserId,
  isPrivateSetting,
  PRIVATE_SETTING_KINDS,
  heldSenderKeySchema,
  type HeldSenderKey,
  type PrivateRegister,
  type Draft,
  type PersonalRegister,
  type PersonalSetting,
  type PersonalSettingKind,
  type StoredPersonalSetting,
} from '../../content/personal-settings.js';
import { DEFAULT_ONLINE_VISIBILITY } from '../../protocol/presence-rules.js';
import { DEFAULT_GROUP_ADDS, type RequestStanding } from '../../protocol/request-rules.js';
import type { AttachmentStore } from './attachments.js';
import { requestFromOf, requestStandingOf } from './request-standing.js';
import { supersedes } from '../../protocol/settings.js';
import { BOUND_LIMIT, cachedStatement, type Db } from '../../node/sqlite.js';

/** How much of a draft the conversation list keeps (it shows one line, like the newest message). */
const DEVICE_ID = 'device_id';
const SETTINGS_CURSOR = 'settings_cursor';
const INHERITED_SENDER_KEYS = 'inherited_sender_keys';

/** A register as this mirror holds it. */
export interface LocalRegister extends PersonalRegister {
  /** The server's version of it; 0 until confirmed. */
  version: number;
  /** This device's latest write, not yet confirmed by the server. */
  pending: boolean;
}

/** The privacy choices the server enforces, each one register keyed by its kind. */
const PRIVACY_KINDS = ['show_online', 'group_adds'] as const satisfies readonly PersonalSettingKind[];

function isPrivacyKind(kind: PersonalSettingKind): boolean {
  return (PRIVACY_KINDS as readonly PersonalSettingKind[]).includes(kind);
}

/** The private kinds as an SQL list, from their declaration. */
const PRIVATE_KINDS_SQL = PRIVATE_SETTING_KINDS.map((kind) => `'${kind}'`).join(', ');

/** What a merge or a local write changed, for the app events. */
export interface SettingsChange {
  /** Conversations whose settings (or, for a block, whose peer's) changed. */
  conversationIds: string[];
  /** Any register people see changed its value (a block about someone with no conversation here counts too). */
  changed: boolean;
  /** A sender key the account kept came from the server (one this mirror may hold no chain of). */
  senderKeys: boolean;
}

interface SettingRow {
  key: string;
  kind: PersonalSettingKind;
  conversation_id: string | null;
  user_id: string | null;
  value: string;
  at: number;
  by: string;
  version: number;
  pending: number;
}

const COLUMNS = 'key, kind, conversation_id, user_id, value, at, by, version, pending';

/**
 * Personal settings as last-writer-wins registers (protocol/settings.ts), and what the conversation
 * rows show of them. Local writes take `at` from the injected clock (never below the register's
 * current `at` + 1, so a write made after seeing another device's always wins over it, and two
 * writes of this device never tie) and `by` from this profile's device id; the server's registers
 * (replies, pages, pushes) merge with the same rule, so the order they arrive in does not matter.
 * Every method runs inside the caller's transaction where it writes.
 */
export class SettingsStore {
  private device: { id: string; clock: Clock } | null = null;
  /** Told (after the transaction, on a microtask) when a local write left something to send. */
  private pendingListener: (() => void) | null = null;

  constructor(
    private readonly db: Db,
    /** An accepted request's held-back images are fetched (attachments.ts: fetchHeldImages). */
    private readonly attachments: Pick<AttachmentStore, 'fetchHeldImages'>,
  ) {}

  /** Gives this mirror its clock and its device id (made from `random` the first time). */
  useRuntime(runtime: { clock: Clock; random: Random }): void {
    let id = this.meta(DEVICE_ID);
    if (id === null) {
      id = runtime.random.uuid();
      this.setMeta(DEVICE_ID, id);
    }
    this.device = { id, clock: runtime.clock };
  }

  /** This profile's device id; null until useRuntime ran. */
  deviceId(): string | null {
    return this.device?.id ?? null;
  }

  onPending(listener: (() => void) | null): void {
    this.pendingListener = listener;
  }

  /** Registers held back (waiting for a conversation's creation) may be sendable now: tell the listener. */
  mayHaveSendable(): void {
    if (this.pendingListener) queueMicrotask(this.pendingListener);
  }

  // -- reading -------------------------------------------------------------------------------

  register(setting: Pick<PersonalSetting, 'kind'> & ({ conversationId: string } | { userId: string })): LocalRegister | null {
    const key = 'userId' in setting ? `${setting.kind}:${setting.userId}` : `${setting.kind}:${setting.conversationId}`;
    return this.byKey(key);
  }

  /**
   * Sender keys under this device's own address that an earlier device with its number started
   * (its session ended, and the server numbered this one the same), taken up from the account's
   * registers on restoring: their envelopes are that device's, and open here.
   */
  inheritSenderKeys(distributionIds: readonly string[]): void {
    if (distributionIds.length === 0) return;
    const inherited = new Set([...this.inheritedSenderKeys(), ...distributionIds]);
    this.setMeta(INHERITED_SENDER_KEYS, JSON.stringify([...inherited]));
  }

  inheritedSenderKey(distributionId: string): boolean {
    return this.inheritedSenderKeys().includes(distributionId);
  }

  private inheritedSenderKeys(): string[] {
    const parsed = z.array(z.string()).safeParse(parseJson(this.meta(INHERITED_SENDER_KEYS) ?? '[]'));
    return parsed.success ? parsed.data : [];
  }

  private byKey(key: string): LocalRegister | null {
    const row = cachedStatement(this.db, `SELECT ${COLUMNS} FROM settings WHERE key = ?`).get(key) as SettingRow | undefined;
    return row ? toRegister(row) : null;
  }

  draft(conversationId: string): Draft | null {
    const register = this.byKey(`draft:${conversationId}`);
    return register?.setting.kind === 'draft' ? register.setting.value : null;
  }

  /** "Show when I'm online" as this person set it (DEFAULT_ONLINE_VISIBILITY when they never did). */
  showOnline(): OnlineVisibility {
    const register = this.byKey(personalSettingKey({ kind: 'show_online', value: DEFAULT_ONLINE_VISIBILITY }));
    return register?.setting.kind === 'show_online' ? register.setting.value : DEFAULT_ONLINE_VISIBILITY;
  }

  /** "Who can add me to groups" as this person set it (DEFAULT_GROUP_ADDS when they never did). */
  groupAdds(): GroupAdds {
    const register = this.byKey(personalSettingKey({ kind: 'group_adds', value: DEFAULT_GROUP_ADDS }));
    return register?.setting.kind === 'group_adds' ? register.setting.value : DEFAULT_GROUP_ADDS;
  }

  /**
   * A privacy choice made here has not reached the server yet: until it does, the server, which
   * enforces these, still holds the old one.
   */
  privacyWaiting(): boolean {
    return PRIVACY_KINDS.some((kind) => this.byKey(kind)?.pending === true);
  }

  /** The conversation's standing as a message request (request-standing.ts). */
  requestStanding(conversationId: string): RequestStanding {
    return requestStandingOf(this.db, conversationId);
  }

  /** Who the conversation's request came from; null for an ordinary conversation. */
  requestFrom(conversationId: string): string | null {
    return requestFromOf(this.db, conversationId);
  }

  isBlocked(userId: string): boolean {
    const register = this.byKey(`blocked:${userId}`);
    return register?.setting.kind === 'blocked' && register.setting.value;
  }

  /** The people we blocked, by name (someone this mirror has not seen has no name here). */
  blockedUsers(): User[] {
    const rows = cachedStatement(
      this.db,
      `SELECT s.key, s.kind, s.conversation_id, s.user_id, s.value, s.at, s.by, s.version, s.pending, u.username, u.display_name
       FROM settings s LEFT JOIN users u ON u.id = s.user_id WHERE s.kind = 'blocked'`,
    ).all() as (SettingRow & { username: string | null; display_name: string | null })[];
    return rows
      .filter((row) => {
        const register = toRegister(row);
        return register?.setting.kind === 'blocked' && register.setting.value;
      })
      .map((row) => ({
        id: row.user_id ?? '',
        username: row.username ?? '',
        displayName: row.display_name ?? row.username ?? '',
      }))
      .sort((a, b) => a.displayName.localeCompare(b.displayName) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  // -- local writes --------------------------------------------------------------------------

  /**
   * This person changed a setting here: the register takes the new value at once (pending until
   * the server confirms it). An unchanged value writes nothing. Returns whether it wrote.
   */
  write(setting: PersonalSetting, derived = false): boolean {
    const device = this.device;
    if (!device) throw new Error('The mirror has no device id yet (useRuntime)');
    const key = personalSettingKey(setting);
    const current = this.byKey(key);
    if (current && JSON.stringify(current.setting.value) === JSON.stringify(setting.value)) return false;
    // A write that only follows from the register it replaces (see broughtBack) takes the least
    // time after it, so any deliberate write made meanwhile on another device still wins.
    const at = derived && current ? current.at + 1 : Math.max(device.clock.now(), current ? current.at + 1 : 0);
    cachedStatement(
      this.db,
      `INSERT INTO settings (key, kind, conversation_id, user_id, value, at, by, version, pending, send_error)
       VALUES (@key, @kind, @conversationId, @userId, @value, @at, @by, 0, 1, NULL)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, at = excluded.at, by = excluded.by, pending = 1,
         send_error = NULL`,
    ).run({
      key,
      kind: setting.kind,
      conversationId: personalSettingConversationId(setting),
      userId: personalSettingUserId(setting),
      value: JSON.stringify(setting.value),
      at,
      by: device.id,
    });
    this.show(setting);
    if (this.pendingListener) queueMicrotask(this.pendingListener);
    return true;
  }

  /**
   * A sender key this device received or started, kept for the account's restores: written once
   * (the first distribution message held opens the most), so a key handed out again later, or one
   * another of the account's devices kept already, writes nothing.
   */
  keepSenderKey(conversationId: string, held: HeldSenderKey): void {
    if (!this.device) return;
    const setting = { kind: 'sender_key', conversationId, value: held } as const;
    if (this.byKey(personalSettingKey(setting)) === null) this.write(setting);
  }

  /**
   * The sender keys the account kept that this mirror holds no chain of (a mirror restored or
   * started fresh, whose settings came from the server): what restoring them would open.
   */
  senderKeysNotHeld(): { conversationId: string; held: HeldSenderKey }[] {
    const rows = cachedStatement(
      this.db,
      `SELECT s.conversation_id, s.value FROM settings s
       WHERE s.kind = 'sender_key' AND NOT EXISTS (
         SELECT 1 FROM signal_sender_keys k
         WHERE k.address = json_extract(s.value, '$.senderId') || '.' || json_extract(s.value, '$.deviceNumber')
           AND k.distribution_id = json_extract(s.value, '$.distributionId'))`,
    ).all() as { conversation_id: string; value: string }[];
    return rows.flatMap((row) => {
      const held = heldSenderKeySchema.safeParse(parseJson(row.value));
      return held.success ? [{ conversationId: row.conversation_id, held: held.data }] : [];
    });
  }

  /**
   * A message from someone else arrived after the conversation was archived (and it is not
   * muted): it is back in the main list, and stays there (archived {on: false}), also on this
   * person's other devices. Done by whichever device applies the message; writing it twice is
   * harmless. It follows from the archive it undoes (at: just after it), so archiving again on
   * another device meanwhile, after seeing that message, wins over it. Skipped while this mirror
   * has no device (tests of the mirror alone).
   */
  broughtBack(conversationId: string, seq: number): void {
    if (!this.device) return;
    this.write({ kind: 'archived', conversationId, value: { on: false, seq } }, true);
  }

  /**
   * Unmuted while in the archive: the messages that came while it was muted did not bring it back,
   * and unmuting does not either; only a message from now on does. The archive moves on to the
   * newest of them (archived {on: true, seq}), also on this person's other devices, so muting it
   * again later does not send a conversation from the main list to the archive. Like broughtBack,
   * it follows from the archive it carries on (at: just after it).
   */
  keptInArchive(conversationId: string): void {
    const row = cachedStatement(this.db, 'SELECT archived, archived_seq, last_incoming_seq FROM conversations WHERE id = ?').get(
      conversationId,
    ) as { archived: number; archived_seq: number; last_incoming_seq: number } | undefined;
    if (row?.archived !== 1 || row.last_incoming_seq <= row.archived_seq) return;
    this.write({ kind: 'archived', conversationId, value: { on: true, seq: row.last_incoming_seq } }, true);
  }

  // -- syncing -------------------------------------------------------------------------------

  /**
   * Registers to send: this device's unconfirmed writes, oldest first, at most `maxCount` and
   * `maxBytes` of JSON as they go on the wire. `seal` turns a private setting into its sealed
   * register (null when it is too large to send); without it (no identity here yet) private ones
   * wait. Settings of a conversation whose creation is still queued wait for it (the server knows
   * no such conversation yet).
   */
  pendingBatch(
    maxCount: number,
    maxBytes: number,
    seal: ((register: PrivateRegister) => SettingRegister | null) | null,
  ): { personal: PersonalRegister[]; wire: SettingRegister[] } {
    const rows = cachedStatement(
      this.db,
      `SELECT ${COLUMNS} FROM settings s WHERE s.pending = 1 AND s.send_error IS NULL
         AND (? = 1 OR s.kind NOT IN (${PRIVATE_KINDS_SQL}))
         AND (s.conversation_id IS NULL
              OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.client_id = s.conversation_id AND o.kind = 'create'))
       ORDER BY s.at ${BOUND_LIMIT}`,
    ).all(seal ? 1 : 0, maxCount) as SettingRow[];
    const batch: { personal: PersonalRegister[]; wire: SettingRegister[] } = { personal: [], wire: [] };
    let bytes = 0;
    for (const row of rows) {
      const register = toRegister(row);
      if (!register) {
        // Unreadable (not written by this version): never sent, never silently dropped.
        this.failSend(row.key, 'malformed');
        continue;
      }
      const personal: PersonalRegister = { setting: register.setting, at: register.at, by: register.by };
      const wire = wireRegister(personal, seal);
      if (!wire) {
        this.failSend(row.key, 'too_large');
        continue;
      }
      const size = Buffer.byteLength(JSON.stringify(wire), 'utf8') + 1;
      if (batch.wire.length > 0 && bytes + size > maxBytes) break;
      batch.personal.push(personal);
      batch.wire.push(wire);
      bytes += size;
    }
    return batch;
  }

  /** The server refused this register: kept as it is, not sent again until a reconnect or a new write. */
  failSend(key: string, reason: string): void {
    cachedStatement(this.db, 'UPDATE settings SET send_error = ? WHERE key = ? AND pending = 1').run(reason, key);
  }

  /**
   * The server has no room for more of this person's sealed settings (settings_full): every
   * private register waiting to go is held back with `reason`, kept as it is (in effect on this
   * device), and not sent again until a reconnect or a new write of it. How many.
   */
  holdBackPrivate(reason: string): number {
    return cachedStatement(
      this.db,
      `UPDATE settings SET send_error = ? WHERE pending = 1 AND send_error IS NULL AND kind IN (${PRIVATE_KINDS_SQL})`,
    ).run(reason).changes;
  }

  /** Registers held back for `reason` may be sent again (there may be room now). How many. */
  releaseHeld(reason: string): number {
    return cachedStatement(this.db, 'UPDATE settings SET send_error = NULL WHERE pending = 1 AND send_error = ?').run(reason)
      .changes;
  }

  /** Whether a register is waiting, held back for `reason`. */
  heldBackFor(reason: string): boolean {
    return (
      cachedStatement(this.db, 'SELECT 1 FROM settings WHERE pending = 1 AND send_error = ? LIMIT 1').get(reason) !== undefined
    );
  }

  /** A new connection: refused registers get another chance. */
  clearSendErrors(): void {
    cachedStatement(this.db, 'UPDATE settings SET send_error = NULL WHERE send_error IS NOT NULL').run();
  }

  /** Whether this exact write (same at and by) is still waiting for the server. */
  stillPending(register: PersonalRegister): boolean {
    const current = this.byKey(personalSettingKey(register.setting));
    return current !== null && current.pending && current.at === register.at && current.by === register.by;
  }

  /**
   * Registers as the server stores them (a reply, a page, a push), merged last-writer-wins: a
   * newer one replaces ours (and a pending write of ours it beats is no longer due); our own write
   * coming back (same at and by) is confirmed; an older one changes nothing.
   */
  merge(stored: readonly StoredPersonalSetting[]): SettingsChange {
    const conversationIds = new Set<string>();
    let changed = false;
    let senderKeys = false;
    for (const register of stored) {
      const key = personalSettingKey(register.setting);
      const current = this.byKey(key);
      if (current && current.at === register.at && current.by === register.by) {
        // A privacy choice stops waiting for the server (privacyWaiting), which people see.
        if (current.pending && isPrivacyKind(register.setting.kind)) changed = true;
        cachedStatement(
          this.db,
          'UPDATE settings SET version = MAX(version, ?), pending = 0, send_error = NULL WHERE key = ?',
        ).run(register.version, key);
        continue;
      }
      if (current && !supersedes(register, current)) continue;
      cachedStatement(
        this.db,
        `INSERT INTO settings (key, kind, conversation_id, user_id, value, at, by, version, pending, send_error)
         VALUES (@key, @kind, @conversationId, @userId, @value, @at, @by, @version, 0, NULL)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, at = excluded.at, by = excluded.by,
           version = excluded.version, pending = 0, send_error = NULL`,
      ).run({
        key,
        kind: register.setting.kind,
        conversationId: personalSettingConversationId(register.setting),
        userId: personalSettingUserId(register.setting),
        value: JSON.stringify(register.setting.value),
        at: register.at,
        by: register.by,
        version: register.version,
      });
      // A kept sender key changes nothing anyone sees: the device takes it up (SettingsSync tells it).
      if (register.setting.kind === 'sender_key') senderKeys = true;
      else changed = true;
      for (const id of this.show(register.setting)) conversationIds.add(id);
    }
    return { conversationIds: [...conversationIds], changed, senderKeys };
  }

  /** The highest settings version pulled from the server (list_settings goes on after it). */
  cursor(): number {
    const value = Number(this.meta(SETTINGS_CURSOR) ?? 0);
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  }

  advanceCursor(version: number): void {
    if (version > this.cursor()) this.setMeta(SETTINGS_CURSOR, String(version));
  }

  // -- conversation rows ---------------------------------------------------------------------

  /**
   * Fills a conversation row's settings columns from the registers: for a row just made (its
   * settings may have arrived first) or whose peer just became known.
   */
  showOn(conversationId: string): void {
    for (const kind of ['archived', 'muted', 'draft', 'request'] as const) {
      const register = this.byKey(`${kind}:${conversationId}`);
      if (register) this.show(register.setting);
    }
    // (No pluck(): it would change the statement for every other user of the same cached SQL.)
    const peer = (
      cachedStatement(this.db, "SELECT peer_id FROM conversations WHERE id = ? AND kind = 'direct'").get(conversationId) as
        { peer_id: string | null } | undefined
    )?.peer_id;
    if (peer) {
      const blocked = this.isBlocked(peer) ? 1 : 0;
      cachedStatement(this.db, 'UPDATE conversations SET blocked = ? WHERE id = ? AND blocked != ?').run(
        blocked,
        conversationId,
        blocked,
      );
    }
  }

  /** Writes what the list shows of a setting onto its conversation row(s); returns their ids. */
  private show(setting: PersonalSetting): string[] {
    switch (setting.kind) {
      case 'archived':
        cachedStatement(this.db, 'UPDATE conversations SET archived = ?, archived_seq = ? WHERE id = ?').run(
          setting.value.on ? 1 : 0,
          setting.value.seq,
          setting.conversationId,
        );
        return [setting.conversationId];
      case 'muted':
        cachedStatement(this.db, 'UPDATE conversations SET muted = ? WHERE id = ?').run(
          setting.value ? 1 : 0,
          setting.conversationId,
        );
        return [setting.conversationId];
      case 'draft':
        cachedStatement(this.db, 'UPDATE conversations SET draft_preview = ? WHERE id = ?').run(
          draftPreview(setting.value),
          setting.conversationId,
        );
        return [setting.conversationId];
      case 'blocked':
        return (
          cachedStatement(this.db, "UPDATE conversations SET blocked = ? WHERE kind = 'direct' AND peer_id = ? RETURNING id").all(
            setting.value ? 1 : 0,
            setting.userId,
          ) as { id: string }[]
        )
          .map((row) => row.id)
          .sort();
      case 'show_online':
      case 'group_adds':
        // Shown in the settings, on no conversation.
        return [];
      case 'sender_key':
        // Kept for restoring, never shown.
        return [];
      case 'sticker_pack':
        // Installed from its message by the core (stickers/sticker-packs.ts), on no conversation's row.
        return [];
      case 'request':
        cachedStatement(this.db, 'UPDATE conversations SET request_answer = ?, request_seq = ? WHERE id = ?').run(
          setting.value.answer,
          setting.value.seq,
          setting.conversationId,
        );
        if (setting.value.answer === 'accepted') this.attachments.fetchHeldImages(setting.conversationId);
        return [setting.conversationId];
    }
  }

  // -- housekeeping --------------------------------------------------------------------------

  /** Another account takes the profile: its settings and cursor go; the device id stays. */
  clear(): void {
    cachedStatement(this.db, 'DELETE FROM settings').run();
    cachedStatement(this.db, 'DELETE FROM meta WHERE key NOT IN (?, ?)').run(DEVICE_ID, REVOCATIONS_META_KEY);
  }

  private meta(key: string): string | null {
    return (
      (cachedStatement(this.db, 'SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null
    );
  }

  private setMeta(key: string, value: string): void {
    cachedStatement(
      this.db,
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
  }
}

/** A register as it goes to the server: a private setting sealed, the others as they are. */
function wireRegister(
  register: PersonalRegister,
  seal: ((register: PrivateRegister) => SettingRegister | null) | null,
): SettingRegister | null {
  const { setting } = register;
  if (!isPrivateSetting(setting)) return { setting, at: register.at, by: register.by };
  if (!seal) throw new Error('A private setting was read to be sent with nothing to seal it');
  return seal({ ...register, setting });
}

/** What the list shows of a draft: its start, or null when there is no text. */
export function draftPreview(draft: Draft): string | null {
  return draft.text.trim() === '' ? null : draft.text.slice(0, DRAFT_PREVIEW_CHARS);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A stored register, checked against the protocol's schema when read back; null when it is not valid. */
function toRegister(row: SettingRow): LocalRegister | null {
  const value = parseJson(row.value);
  if (value === null) return null;
  const parsed = personalSettingSchema.safeParse({
    kind: row.kind,
    value,
    ...(row.conversation_id === null ? {} : { conversationId: row.conversation_id }),
    ...(row.user_id === null ? {} : { userId: row.user_id }),
  });
  if (!parsed.success) {
    console.warn(`A setting in the mirror is malformed (${row.key}): ${z.prettifyError(parsed.error)}`);
    return null;
  }
  return { setting: parsed.data, at: row.at, by: row.by, version: row.version, pending: row.pending === 1 };
}
