import {
  deviceMismatches,
  type DeliveredEnvelopeKind,
  type DeviceEnvelope,
  type DeviceMismatch,
  type OutgoingEnvelope,
} from '../../protocol/inbox-frames.js';

/**
 * The device inbox (docs/e2ee-design.md, protocol/inbox-frames.ts): envelopes addressed to one
 * device (a session) each, stored as the sender sent them until that device acknowledges them.
 *
 * Rules every implementation keeps, each send in one transaction:
 * - exactly once by (sending session, client id): a send whose client id that session used before
 *   stores nothing and answers `duplicate`, whatever it carries;
 * - all or nothing: a send is refused whole, storing nothing, when any person it names is not the
 *   sender and shares no conversation with them (`not_a_contact`), when the devices it addresses
 *   are not exactly each person's devices with keys (`devices_changed`, judged by
 *   `deviceMismatches`: devices of unexpired sessions that published keys, the sending device
 *   left out);
 * - an envelope for a device with no room (more waiting than `maxWaitingPerDevice`, or than
 *   `maxWaitingFromOneSender` from this sender) is left out and named in `full`; the rest are stored;
 * - the checks run in that order (duplicate, not_a_contact, devices_changed), and a
 *   refused send leaves its client id unused: the corrected send may carry the same one;
 * - "shares a conversation" means both are members of one now (a message request not yet answered
 *   counts; a conversation either left or was removed from does not);
 * - envelopes go with their device: ending a session deletes its inbox in the same transaction
 *   (a cascade from sessions), and a sending session's client ids go with it too;
 * - ids are decimal integers that grow as envelopes are stored, never handed out twice, even once
 *   their envelopes went (SQLite: AUTOINCREMENT; PostgreSQL: an identity; migrate-store carries
 *   SQLite's highest over). Under PostgreSQL two sends may commit out of id order, so a device
 *   acknowledges ids, never a watermark, and reads its inbox from the start on each connection;
 * - the caps count what is committed: under PostgreSQL, sends to one device that overlap may pass
 *   them by those sends' envelopes (pg-device-inbox.ts says why that is kept).
 */
export interface DeviceInboxStore {
  send(input: InboxSend): Promise<InboxSendResult>;
  /** The device's waiting envelopes with ids after `afterId` (all when absent), oldest first, at most `limit`; hasMore when more wait. */
  read(input: {
    sessionId: string;
    afterId: string | undefined;
    limit: number;
  }): Promise<{ envelopes: DeviceEnvelope[]; hasMore: boolean }>;
  /** Deletes these envelopes of the device (ids of other devices' envelopes, or unknown ones, are ignored); how many went. */
  acknowledge(input: { sessionId: string; ids: readonly string[] }): Promise<number>;
  /** Drops envelopes sent before `before` and forgets client ids used before it; how many envelopes went. */
  expire(before: number): Promise<number>;
  /** One of the user's own devices signed in (its session not expired), by number; null when there is none. */
  ownDevice(input: { userId: string; deviceNumber: number; expiredBefore: number }): Promise<OwnDevice | null>;
  /**
   * A linking hand-over (link-frames.ts) for one of the sender's own devices that has published no
   * keys, stored in its inbox as an envelope of kind `link`. Exactly once by (sending session,
   * client id) as `send` is; refused, storing nothing and leaving the client id unused, when the
   * device is not one of the sender's signed in (or is the sending device itself) or has keys.
   */
  sendLink(input: LinkSend): Promise<LinkSendResult>;
  /**
   * Judges an ephemeral send's addressing (call-frames.ts: send_ephemeral) as `send` does, in the
   * same order (not_a_contact, then devices_changed), storing nothing: `addressed` when every
   * envelope goes to a current device of a contact (or of the sender).
   */
  address(input: EphemeralAddressing): Promise<EphemeralAddressResult>;
}

export interface EphemeralAddressing {
  senderUserId: string;
  senderSessionId: string;
  envelopes: readonly OutgoingEnvelope[];
  expiredBefore: number;
}

export type EphemeralAddressResult =
  { status: 'addressed' } | { status: 'not_a_contact' } | { status: 'devices_changed'; mismatches: DeviceMismatch[] };

export interface OwnDevice {
  sessionId: string;
  deviceName: string | null;
  /** It has published keys: it has the account's identity. */
  linked: boolean;
}

export interface LinkSend {
  senderUserId: string;
  senderSessionId: string;
  senderDevice: number;
  clientId: string;
  deviceNumber: number;
  handOver: string;
  now: number;
  expiredBefore: number;
}

export type LinkSendResult =
  | { status: 'stored'; envelope: DeviceEnvelope }
  | { status: 'duplicate' }
  | { status: 'no_such_device' }
  | { status: 'device_already_linked' };

/** A device row as ownDeviceSql reads it (linked: 0/1 in SQLite, a boolean in PostgreSQL). */
export interface OwnDeviceRow {
  session_id: string;
  device_name: string | null;
  linked: number | boolean;
}

export function ownDeviceOf(row: OwnDeviceRow | undefined): OwnDevice | null {
  return row ? { sessionId: row.session_id, deviceName: row.device_name, linked: Boolean(row.linked) } : null;
}

/** Whether a hand-over may go to this device, and if so the envelope as delivered. */
export function judgeLink(
  input: LinkSend,
  target: OwnDevice | null,
): { status: 'no_such_device' } | { status: 'device_already_linked' } | { status: 'to'; sessionId: string } {
  if (!target || target.sessionId === input.senderSessionId) return { status: 'no_such_device' };
  if (target.linked) return { status: 'device_already_linked' };
  return { status: 'to', sessionId: target.sessionId };
}

/** The hand-over as its device gets it, once stored with this id. */
export function linkEnvelopeOf(input: LinkSend, id: number): DeviceEnvelope {
  return envelopeOf({
    id,
    sender_user_id: input.senderUserId,
    sender_device: input.senderDevice,
    device_number: input.deviceNumber,
    kind: 'link',
    ciphertext: input.handOver,
    sent_at: input.now,
  });
}

export interface InboxSend {
  senderUserId: string;
  senderSessionId: string;
  senderDevice: number;
  clientId: string;
  envelopes: readonly OutgoingEnvelope[];
  now: number;
  /** Sessions last used before this have expired: their devices count as gone. */
  expiredBefore: number;
  maxWaitingFromOneSender: number;
  maxWaitingPerDevice: number;
}

export type InboxSendResult =
  /** Stored; the envelopes as delivered, with whose devices they are for, to push to them. */
  | {
      status: 'stored';
      envelopes: Array<DeviceEnvelope & { recipientUserId: string }>;
      full: Array<{ userId: string; deviceNumber: number }>;
    }
  | { status: 'duplicate' }
  | { status: 'devices_changed'; mismatches: DeviceMismatch[] }
  | { status: 'not_a_contact' };

/** A stored envelope's row as both stores read it; device_number is the receiving session's. */
export interface InboxRow {
  id: number;
  sender_user_id: string;
  sender_device: number;
  device_number: number;
  kind: DeliveredEnvelopeKind;
  ciphertext: string;
  sent_at: number;
}

/** A device with keys of someone a send names, as both stores read it (devicesWithKeysSql). */
export interface DeviceWithKeysRow {
  session_id: string;
  user_id: string;
  device_number: number;
  registration_id: number;
}

/** What one device has waiting, in all and from the sender (waitingInboxSql). */
export interface WaitingRow {
  session_id: string;
  total: number;
  from_sender: number;
}

/** The people a send names besides its sender, each once: each must share a conversation with the sender. */
export function othersNamed(input: Pick<InboxSend, 'senderUserId' | 'envelopes'>): string[] {
  return [...new Set(input.envelopes.map((envelope) => envelope.userId))].filter((userId) => userId !== input.senderUserId);
}

/** Everyone a send names, each once (the sender too, when they write to their other devices). */
export function peopleNamed(envelopes: readonly OutgoingEnvelope[]): string[] {
  return [...new Set(envelopes.map((envelope) => envelope.userId))];
}

/**
 * Judges a send's addressing against the devices with keys of the people it names: what differs,
 * or, when nothing does, the session each envelope goes to (in the envelopes' order).
 */
export function addressEnvelopes(
  envelopes: readonly OutgoingEnvelope[],
  devices: readonly DeviceWithKeysRow[],
): { mismatches: DeviceMismatch[] } | { sessions: DeviceWithKeysRow[] } {
  const current = new Map<string, DeviceWithKeysRow[]>();
  for (const device of devices) current.set(device.user_id, [...(current.get(device.user_id) ?? []), device]);
  const mismatches = deviceMismatches(
    envelopes,
    new Map(
      [...current].map(([userId, rows]) => [
        userId,
        rows.map((row) => ({ deviceNumber: row.device_number, registrationId: row.registration_id })),
      ]),
    ),
  );
  if (mismatches.length > 0) return { mismatches };
  // No mismatch: every envelope names a current device of its person.
  return {
    sessions: envelopes.map((envelope) =>
      current.get(envelope.userId)!.find((device) => device.device_number === envelope.deviceNumber)!,
    ),
  };
}

/**
 * Which of a send's envelopes (in order, with the session each goes to) fit the caps of their
 * devices (INBOX_LIMITS' waiting caps, one envelope per device): those to store, and the devices
 * with no room, named for the sender.
 */
export function withRoom<E extends OutgoingEnvelope>(
  envelopes: readonly E[],
  sessions: readonly DeviceWithKeysRow[],
  waiting: readonly WaitingRow[],
  caps: Pick<InboxSend, 'maxWaitingFromOneSender' | 'maxWaitingPerDevice'>,
): { fits: Array<{ envelope: E; device: DeviceWithKeysRow }>; full: Array<{ userId: string; deviceNumber: number }> } {
  const fits: Array<{ envelope: E; device: DeviceWithKeysRow }> = [];
  const full: Array<{ userId: string; deviceNumber: number }> = [];
  envelopes.forEach((envelope, index) => {
    const device = sessions[index]!;
    const row = waiting.find((counts) => counts.session_id === device.session_id);
    const room = (row?.from_sender ?? 0) + 1 <= caps.maxWaitingFromOneSender && (row?.total ?? 0) + 1 <= caps.maxWaitingPerDevice;
    if (room) fits.push({ envelope, device });
    else full.push({ userId: envelope.userId, deviceNumber: envelope.deviceNumber });
  });
  return { fits, full };
}

/** An envelope as delivered, from its row. */
export function envelopeOf(row: InboxRow): DeviceEnvelope {
  return {
    id: String(row.id),
    senderUserId: row.sender_user_id,
    senderDevice: row.sender_device,
    deviceNumber: row.device_number,
    kind: row.kind,
    ciphertext: row.ciphertext,
    sentAt: row.sent_at,
  };
}
