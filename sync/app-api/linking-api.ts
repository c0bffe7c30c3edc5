/**
 * The app API's calls about linking devices (sync/client/crypto/device-linking.ts): a device
 * signed in with the password while the account's identity lives on its other devices shows a
 * link code; one of those devices, given the code, hands the identity over. Declared here and
 * spread into contract.ts, so the hub does not grow with each step of end-to-end encryption.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';

/** A link code as typed or pasted: generous, the core says whether it is one. */
const linkCode = z.string().min(1).max(400);

export const linkingApiArgs = {
  /** Whether this device has the account's identity, or is waiting to be linked (and its link code). */
  getLinkState: z.object({}).strict(),
  /** On a linked device: which of the account's devices a link code names, to ask "Link <device name>?". */
  describeLinkCode: z.object({ code: linkCode }).strict(),
  /** On a linked device: hands the account's identity to the device the link code names. */
  linkDevice: z.object({ code: linkCode }).strict(),
  /**
   * While waiting to be linked, with no other device and no recovery key: this device makes a new
   * identity in place of the account's (earlier messages stay unreadable here; contacts see the
   * safety number change).
   */
  startNewIdentity: z.object({}).strict(),
  /** On a device just linked whose history did not arrive: tries again (the linking device's upload is kept for a day). */
  retryHistoryTransfer: z.object({}).strict(),
} as const;

/** made, or password_needed: the app was restarted since signing in; sign in again first. */
export type NewIdentityOutcome = 'made' | 'password_needed';

/**
 * The history the linking device handed over (on the device it linked, in this run): arriving
 * (being downloaded and merged), transferred, or failed (not sent, not found, or not what was sent:
 * the device works without it, and retryHistoryTransfer tries again).
 */
export type HistoryTransferState = 'arriving' | 'transferred' | 'failed';

/**
 * - linked: this device has the account's identity; `history` on a device linked in this run.
 * - waiting: the account's identity is on other devices; this one shows `code` (null until it is
 *   connected and knows its device number) until one of them links it.
 * - unknown: not signed in, or not connected yet since signing in without an identity.
 */
export type LinkState =
  { kind: 'linked'; history?: HistoryTransferState } | { kind: 'waiting'; code: string | null } | { kind: 'unknown' };

/** The device a link code names: its name, null when it gave none. */
export interface LinkTarget {
  deviceName: string | null;
}

export interface LinkingApiResults {
  getLinkState: LinkState;
  describeLinkCode: LinkTarget;
  linkDevice: null;
  startNewIdentity: NewIdentityOutcome;
  retryHistoryTransfer: null;
}
