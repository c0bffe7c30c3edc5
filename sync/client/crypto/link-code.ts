/**
 * The link code and the hand-over it is for (link-frames.ts): the new device shows its device
 * number and a fresh public key; the old device seals the account keys to that key with libsignal's
 * HPKE (PublicKey.seal), bound to the account and the device, so the server that carries the
 * hand-over cannot read it, and a hand-over meant for one device opens on no other.
 */
import type { PrivateKey } from '@signalapp/libsignal-client';
import { accountKeysSchema, type AccountKeys } from './account-keys.js';
import type { SignalLibrary } from './signal-library.js';
import { historyRefSchema, type HistoryRef } from '../history-transfer.js';

/** libsignal's serialised EC public key: a type byte and 32 bytes. */
const PUBLIC_KEY_BYTES = 33;
const HAND_OVER_INFO = 'messenger device link v1';
/** "<device number>-<public key, base64url>": short enough to read out or paste, one word to select. */
const LINK_CODE = /^([1-9][0-9]{0,2})-([A-Za-z0-9_-]{44})$/;

export interface LinkCode {
  deviceNumber: number;
  publicKey: Uint8Array<ArrayBuffer>;
}

export function formatLinkCode(deviceNumber: number, publicKey: Uint8Array): string {
  return `${deviceNumber}-${Buffer.from(publicKey).toString('base64url')}`;
}

/** The code as typed or pasted (spaces and line breaks around or inside it ignored); null when it is not one. */
export function parseLinkCode(text: string): LinkCode | null {
  const match = LINK_CODE.exec(text.replace(/\s+/g, ''));
  if (!match) return null;
  const deviceNumber = Number(match[1]);
  const publicKey = new Uint8Array(Buffer.from(match[2]!, 'base64url'));
  if (deviceNumber > 127 || publicKey.length !== PUBLIC_KEY_BYTES) return null;
  return { deviceNumber, publicKey };
}

/** What the hand-over is bound to: a hand-over for another account or device does not open. */
function boundTo(userId: string, deviceNumber: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(`${userId}\n${deviceNumber}`, 'utf8'));
}

/** What a hand-over carries: the account keys, and where the linking device's history waits (null: it sent none). */
export interface HandOver {
  keys: AccountKeys;
  history: HistoryRef | null;
}

/**
 * The account keys (and the history's reference beside them, a field a build without it ignores)
 * sealed for the device the code names, as base64. Throws when the code's key is not a key.
 */
export function sealHandOver(
  signal: SignalLibrary,
  code: LinkCode,
  keys: AccountKeys,
  history: HistoryRef | null = null,
): string {
  const publicKey = signal.PublicKey.deserialize(code.publicKey);
  const plaintext = new Uint8Array(Buffer.from(JSON.stringify(history ? { ...keys, history } : keys), 'utf8'));
  return Buffer.from(publicKey.seal(plaintext, HAND_OVER_INFO, boundTo(keys.userId, code.deviceNumber))).toString('base64');
}

/**
 * The account keys a hand-over carries, checked against their schema and the account, and its
 * history reference (null when there is none, or it does not read: the keys still count); throws
 * when it does not open or is not theirs.
 */
export function openHandOver(privateKey: PrivateKey, handOver: string, userId: string, deviceNumber: number): HandOver {
  const opened = privateKey.open(new Uint8Array(Buffer.from(handOver, 'base64')), HAND_OVER_INFO, boundTo(userId, deviceNumber));
  const content: unknown = JSON.parse(Buffer.from(opened).toString('utf8'));
  const keys = accountKeysSchema.parse(content);
  if (keys.userId !== userId) throw new Error('The hand-over is for another account');
  const history = historyRefSchema.safeParse((content as { history?: unknown }).history);
  return { keys, history: history.success ? history.data : null };
}
