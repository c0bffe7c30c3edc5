/**
 * A person's own settings as their devices know them: the ones the server enforces
 * (protocol/frames.ts: SERVER_SETTINGS) and the private ones declared here (archive, mute, the
 * composer's draft), which reach the server only sealed (client/crypto/sealed-settings.ts). Each
 * is a last-writer-wins register (protocol/settings.ts: supersedes).
 */
import { z } from 'zod';
import { SERVER_SETTINGS } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import { settingKey } from '../protocol/settings.js';
import { base64, deviceNumber, id, wellFormed, WELL_FORMED } from '../protocol/wire-types.js';
import { packId } from '../common/stickers.js';

const seq = z.number().int().nonnegative();

/** What the composer held when the person left it; empty text means no draft. */
export const draftSchema = z.object({
  text: z.string().max(LIMITS.maxMessageChars).refine(wellFormed, WELL_FORMED),
  replyTo: id.nullable(),
});
export type Draft = z.infer<typeof draftSchema>;

/**
 * A sender key as this account's devices first held it: its distribution message, whose chain
 * opens every message sealed under the key from then on. Kept with the sealed settings, so a
 * device restored with the recovery key, or started fresh, opens the history the server still
 * holds (docs/e2ee-design.md, "History for new devices and recovery"). Written once per key by
 * the device that received it (or started it), never shown.
 */
export const heldSenderKeySchema = z.object({
  senderId: id,
  deviceNumber,
  distributionId: z.uuid(),
  /** SenderKeyDistributionMessage.serialize(), base64. */
  distribution: base64(4_096),
});
export type HeldSenderKey = z.infer<typeof heldSenderKeySchema>;

/** A sticker pack installed (issue 33): the sticker message whose bundle installs it on the person's other devices. */
export const stickerPackSettingSchema = z.object({ packId, messageId: id }).strict();

/**
 * Settings only the person's devices read. `archived.seq` is the conversation's last sequence
 * number the device had when the person archived it: a later message from someone else brings it
 * back to the main list unless it is muted (isInArchive).
 */
const PRIVATE_SETTINGS = [
  z.object({ kind: z.literal('archived'), conversationId: id, value: z.object({ on: z.boolean(), seq }) }),
  z.object({ kind: z.literal('muted'), conversationId: id, value: z.boolean() }),
  z.object({ kind: z.literal('draft'), conversationId: id, value: draftSchema }),
  z.object({ kind: z.literal('sender_key'), conversationId: id, value: heldSenderKeySchema }),
  // A sticker pack installed (issue 33), one register per pack: the sticker message whose bundle
  // the person's other devices download and open with its pack key (the message carries both).
  z.object({ kind: z.literal('sticker_pack'), conversationId: id, value: stickerPackSettingSchema }),
] as const;

export const personalSettingSchema = z.discriminatedUnion('kind', [...PRIVATE_SETTINGS, ...SERVER_SETTINGS]);
export type PersonalSetting = z.infer<typeof personalSettingSchema>;
export type PersonalSettingKind = PersonalSetting['kind'];

/** The kinds that go sealed, from their declaration (the mirror's queries name them by this list). */
export const PRIVATE_SETTING_KINDS: readonly PersonalSettingKind[] = PRIVATE_SETTINGS.map((schema) => schema.shape.kind.value);
export type PrivateSetting = Extract<PersonalSetting, { kind: (typeof PRIVATE_SETTINGS)[number]['shape']['kind']['value'] }>;
/** The settings the server reads as they are. */
export type ServerSetting = Exclude<PersonalSetting, PrivateSetting>;

export function isPrivateSetting(setting: PersonalSetting): setting is PrivateSetting {
  return PRIVATE_SETTING_KINDS.includes(setting.kind);
}

/** A register as one of the person's devices wrote it: `at` and `by` as in protocol/frames.ts. */
export interface PersonalRegister {
  setting: PersonalSetting;
  at: number;
  by: string;
}

/** A private setting's register, which goes to the server sealed. */
export interface PrivateRegister extends PersonalRegister {
  setting: PrivateSetting;
}

/** A register as the server keeps it, opened: `version` orders the person's settings changes. */
export interface StoredPersonalSetting extends PersonalRegister {
  version: number;
}

/**
 * What a register is about: one per (kind, conversation), per blocked person, one for the person,
 * or one per sender key (its sender's device and distribution id).
 */
export function personalSettingKey(setting: PersonalSetting): string {
  if (setting.kind === 'sender_key') {
    const { senderId, deviceNumber, distributionId } = setting.value;
    return `sender_key:${setting.conversationId}:${senderId}.${deviceNumber}:${distributionId}`;
  }
  if (setting.kind === 'sticker_pack') return `sticker_pack:${setting.value.packId}`;
  return isPrivateSetting(setting) ? `${setting.kind}:${setting.conversationId}` : settingKey(setting);
}

/** The conversation a setting is about; null for one about a person or the person themselves. */
export function personalSettingConversationId(setting: PersonalSetting): string | null {
  return 'conversationId' in setting ? setting.conversationId : null;
}

/** The person a setting is about (a block); null for the others. */
export function personalSettingUserId(setting: PersonalSetting): string | null {
  return setting.kind === 'blocked' ? setting.userId : null;
}

/**
 * Whether a conversation shows in the "Archived" list rather than the main one: archived, and either
 * muted or with no message from someone else after the seq it was archived at (a new message brings
 * an unmuted conversation back).
 */
export function isInArchive(archived: { on: boolean; seq: number } | null, muted: boolean, lastIncomingSeq: number): boolean {
  if (!archived?.on) return false;
  return muted || lastIncomingSeq <= archived.seq;
}
