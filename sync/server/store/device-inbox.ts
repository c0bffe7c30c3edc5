import type { DeviceEnvelope, DeviceMismatch, OutgoingEnvelope } from '../../protocol/inbox-frames.js';

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
 *   left out), or when a device has no room (`inbox_full`: INBOX_LIMITS' waiting caps);
 * - envelopes go with their device: ending a session deletes its inbox in the same transaction
 *   (a cascade from sessions);
 * - ids are decimal integers that grow as envelopes are stored. Under PostgreSQL two sends may
 *   commit out of id order, so a device acknowledges ids, never a watermark, and reads its inbox
 *   from the start on each connection.
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
  /** Stored; the envelopes as delivered, to push to their devices. */
  | { status: 'stored'; envelopes: DeviceEnvelope[] }
  | { status: 'duplicate' }
  | { status: 'devices_changed'; mismatches: DeviceMismatch[] }
  | { status: 'not_a_contact' }
  | { status: 'inbox_full' };
