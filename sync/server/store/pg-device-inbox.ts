import type { DeviceEnvelope, OutgoingEnvelope } from '../../protocol/inbox-frames.js';
import {
  addressEnvelopes,
  envelopeOf,
  othersNamed,
  peopleNamed,
  type DeviceInboxStore,
  type DeviceWithKeysRow,
  type EphemeralAddressing,
  type EphemeralAddressResult,
  type InboxRow,
  type InboxSend,
  type InboxSendResult,
  judgeLink,
  linkEnvelopeOf,
  ownDeviceOf,
  type LinkSend,
  type LinkSendResult,
  type OwnDevice,
  type OwnDeviceRow,
  type WaitingRow,
  withRoom,
} from './device-inbox.js';
import { inTransaction, RetryTransaction, withSession, type PostgresConnections, type Session } from './pg-connections.js';
import { contactsAmongSql, devicesWithKeysSql, inboxPageSql, ownDeviceSql, waitingInboxSql } from './shared-sql.js';

/**
 * The device inbox in the PostgreSQL store, READ COMMITTED.
 * - Exactly once: a send inserts its (session, client id) first, ON CONFLICT DO NOTHING. A second
 *   send with the same client id waits on that row's unique key until the first ends: when it
 *   stored, the second inserts nothing and is a duplicate; when it was refused, its row went (it
 *   deletes it before it commits) and the second goes ahead as the first.
 * - A device whose session ends between the checks and the insert fails the envelope's foreign
 *   key: the send runs again and then finds the device gone (devices_changed).
 * - The caps count what is committed: sends to one device committing at the same moment do not
 *   see each other, so a device may end up past its cap by the envelopes of sends that overlapped.
 *   The caps bound what a sender can pile up, which that does not change; exact counts would make
 *   every send to a device wait for the one before.
 */
export class PostgresDeviceInbox implements DeviceInboxStore {
  constructor(private readonly db: PostgresConnections) {}

  send(input: InboxSend): Promise<InboxSendResult> {
    return inTransaction(this.db, async (tx): Promise<InboxSendResult> => {
      const taken = await tx.query(
        `INSERT INTO inbox_sends (sender_session_id, client_id, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [input.senderSessionId, input.clientId, input.now],
      );
      if (taken.rowCount === 0) return { status: 'duplicate' };
      const judged = await judge(tx, input);
      if ('status' in judged) {
        // The client id stays unused: the corrected send may carry it.
        await tx.query('DELETE FROM inbox_sends WHERE sender_session_id = $1 AND client_id = $2', [
          input.senderSessionId,
          input.clientId,
        ]);
        return judged;
      }
      const { rows } = await tx
        .query<{ id: number; session_id: string }>(
          `INSERT INTO device_inbox (session_id, sender_user_id, sender_device, kind, ciphertext, sent_at)
           SELECT e.session_id, $4, $5, e.kind, e.ciphertext, $6 FROM unnest($1::text[], $2::text[], $3::text[]) AS e(session_id, kind, ciphertext)
           RETURNING id, session_id`,
          [
            judged.fits.map(({ device }) => device.session_id),
            judged.fits.map(({ envelope }) => envelope.kind),
            judged.fits.map(({ envelope }) => envelope.ciphertext),
            input.senderUserId,
            input.senderDevice,
            input.now,
          ],
        )
        .catch((error: unknown) => {
          if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
            throw new RetryTransaction('a device a send addressed was signed out before it was stored');
          }
          throw error;
        });
      // Each envelope goes to a session of its own (one per device), so the session tells which envelope an id is.
      const idOf = new Map(rows.map((row) => [row.session_id, row.id]));
      const envelopes = judged.fits.map(({ envelope, device }) => {
        const delivered = envelopeOf({
          id: idOf.get(device.session_id)!,
          sender_user_id: input.senderUserId,
          sender_device: input.senderDevice,
          device_number: device.device_number,
          kind: envelope.kind,
          ciphertext: envelope.ciphertext,
          sent_at: input.now,
        });
        return { ...delivered, recipientUserId: envelope.userId };
      });
      return { status: 'stored', envelopes, full: judged.full };
    });
  }

  async read(input: {
    sessionId: string;
    afterId: string | undefined;
    limit: number;
  }): Promise<{ envelopes: DeviceEnvelope[]; hasMore: boolean }> {
    // One more than asked for tells whether more wait.
    const rows = await this.db.query<InboxRow>(inboxPageSql('$1', '$2::bigint', '$3'), [
      input.sessionId,
      input.afterId ?? '0',
      input.limit + 1,
    ]);
    return { envelopes: rows.slice(0, input.limit).map(envelopeOf), hasMore: rows.length > input.limit };
  }

  async acknowledge(input: { sessionId: string; ids: readonly string[] }): Promise<number> {
    const { rowCount } = await withSession(this.db, (session) =>
      session.query('DELETE FROM device_inbox WHERE session_id = $1 AND id = ANY($2::bigint[])', [
        input.sessionId,
        [...input.ids],
      ]),
    );
    return rowCount;
  }

  async expire(before: number): Promise<number> {
    // One statement: both deletes in one transaction.
    const { rowCount } = await withSession(this.db, (session) =>
      session.query(
        `WITH forgotten AS (DELETE FROM inbox_sends WHERE sent_at < $1)
         DELETE FROM device_inbox WHERE sent_at < $1`,
        [before],
      ),
    );
    return rowCount;
  }

  async ownDevice(input: { userId: string; deviceNumber: number; expiredBefore: number }): Promise<OwnDevice | null> {
    return withSession(this.db, (session) => readOwnDevice(session, input));
  }

  async address(input: EphemeralAddressing): Promise<EphemeralAddressResult> {
    const judged = await withSession(this.db, (session) => judgeAddressing(session, input));
    return 'status' in judged ? judged : { status: 'addressed' };
  }

  sendLink(input: LinkSend): Promise<LinkSendResult> {
    return inTransaction(this.db, async (tx): Promise<LinkSendResult> => {
      const taken = await tx.query(
        `INSERT INTO inbox_sends (sender_session_id, client_id, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [input.senderSessionId, input.clientId, input.now],
      );
      if (taken.rowCount === 0) return { status: 'duplicate' };
      const judged = judgeLink(input, await readOwnDevice(tx, { userId: input.senderUserId, ...input }));
      if (judged.status !== 'to') {
        // The client id stays unused: a corrected link may carry it.
        await tx.query('DELETE FROM inbox_sends WHERE sender_session_id = $1 AND client_id = $2', [
          input.senderSessionId,
          input.clientId,
        ]);
        return judged;
      }
      const { rows } = await tx
        .query<{ id: number }>(
          `INSERT INTO device_inbox (session_id, sender_user_id, sender_device, kind, ciphertext, sent_at)
           VALUES ($1, $2, $3, 'link', $4, $5) RETURNING id`,
          [judged.sessionId, input.senderUserId, input.senderDevice, input.handOver, input.now],
        )
        .catch((error: unknown) => {
          if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) {
            throw new RetryTransaction('the device a link addressed was signed out before it was stored');
          }
          throw error;
        });
      return { status: 'stored', envelope: linkEnvelopeOf(input, Number(rows[0]!.id)) };
    });
  }
}

async function readOwnDevice(
  session: Session,
  input: { userId: string; deviceNumber: number; expiredBefore: number },
): Promise<OwnDevice | null> {
  const { rows } = await session.query<OwnDeviceRow>(ownDeviceSql('$1', '$2', '$3'), [
    input.userId,
    input.deviceNumber,
    input.expiredBefore,
  ]);
  return ownDeviceOf(rows[0]);
}

const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The checks after the client id, in the contract's order: a refusal, or the session each envelope
 * goes to.
 */
async function judge(tx: Session, input: InboxSend): Promise<InboxSendResult | ReturnType<typeof withRoom<OutgoingEnvelope>>> {
  const addressed = await judgeAddressing(tx, input);
  if ('status' in addressed) return addressed;
  const { rows: waiting } = await tx.query<WaitingRow>(waitingInboxSql('(SELECT unnest($1::text[]) AS session_id)', '$2'), [
    addressed.sessions.map((device) => device.session_id),
    input.senderUserId,
  ]);
  return withRoom(input.envelopes, addressed.sessions, waiting, input);
}

/** A send's refusal for its addressing (not a contact, devices changed), or the session each envelope goes to. */
async function judgeAddressing(
  tx: Session,
  input: EphemeralAddressing,
): Promise<Exclude<EphemeralAddressResult, { status: 'addressed' }> | { sessions: DeviceWithKeysRow[] }> {
  const others = othersNamed(input);
  const { rows: contacts } = await tx.query<{ user_id: string }>(
    contactsAmongSql('$1', '(SELECT unnest($2::text[]) AS user_id)'),
    [input.senderUserId, others],
  );
  if (contacts.length < others.length) return { status: 'not_a_contact' };
  const { rows: devices } = await tx.query<DeviceWithKeysRow>(
    devicesWithKeysSql('(SELECT unnest($1::text[]) AS user_id)', '$2', '$3'),
    [peopleNamed(input.envelopes), input.senderSessionId, input.expiredBefore],
  );
  const addressed = addressEnvelopes(input.envelopes, devices);
  return 'mismatches' in addressed ? { status: 'devices_changed', mismatches: addressed.mismatches } : addressed;
}
