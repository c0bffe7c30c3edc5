import type { cachedStatement, Db } from '../../node/sqlite.js';
import type { DeviceEnvelope } from '../../protocol/inbox-frames.js';
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
import { contactsAmongSql, devicesWithKeysSql, inboxPageSql, ownDeviceSql, waitingInboxSql } from './shared-sql.js';

/**
 * The device inbox in the SQLite store. better-sqlite3 runs each transaction to its end before any
 * other JavaScript, and writers BEGIN IMMEDIATE: a send's checks and its writes see no other send
 * in between, so the client id and the caps hold exactly. A refused send writes nothing.
 */

type Statement = ReturnType<typeof cachedStatement>;

/** Lists are JSON arrays, opened by json_each. */
const PEOPLE = '(SELECT value AS user_id FROM json_each(@people))';
const SESSIONS = '(SELECT value AS session_id FROM json_each(@sessions))';

export class SqliteDeviceInbox implements DeviceInboxStore {
  private readonly sendUsed: Statement;
  private readonly contactsAmong: Statement;
  private readonly devicesWithKeys: Statement;
  private readonly waiting: Statement;
  private readonly insertEnvelope: Statement;
  private readonly insertSend: Statement;
  private readonly page: Statement;
  private readonly deleteAcknowledged: Statement;
  private readonly expireEnvelopes: Statement;
  private readonly expireSends: Statement;
  private readonly ownDeviceRow: Statement;

  constructor(private readonly db: Db) {
    this.sendUsed = db.prepare('SELECT 1 FROM inbox_sends WHERE sender_session_id = ? AND client_id = ?').pluck();
    this.contactsAmong = db.prepare(contactsAmongSql('@user', PEOPLE)).pluck();
    this.devicesWithKeys = db.prepare(devicesWithKeysSql(PEOPLE, '@exceptSession', '@expiredBefore'));
    this.waiting = db.prepare(waitingInboxSql(SESSIONS, '@sender'));
    this.insertEnvelope = db.prepare(
      `INSERT INTO device_inbox (session_id, sender_user_id, sender_device, kind, ciphertext, sent_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.insertSend = db.prepare('INSERT INTO inbox_sends (sender_session_id, client_id, sent_at) VALUES (?, ?, ?)');
    this.page = db.prepare(inboxPageSql('@session', '@after', '@limit'));
    this.deleteAcknowledged = db.prepare(
      'DELETE FROM device_inbox WHERE session_id = ? AND id IN (SELECT value FROM json_each(?))',
    );
    this.expireEnvelopes = db.prepare('DELETE FROM device_inbox WHERE sent_at < ?');
    this.expireSends = db.prepare('DELETE FROM inbox_sends WHERE sent_at < ?');
    this.ownDeviceRow = db.prepare(ownDeviceSql('@user', '@deviceNumber', '@expiredBefore'));
  }

  async send(input: InboxSend): Promise<InboxSendResult> {
    return this.db
      .transaction((): InboxSendResult => {
        if (this.sendUsed.get(input.senderSessionId, input.clientId) !== undefined) return { status: 'duplicate' };
        const addressed = this.judgeAddressing(input);
        if ('status' in addressed) return addressed;
        const waiting = this.waiting.all({
          sessions: JSON.stringify(addressed.sessions.map((device) => device.session_id)),
          sender: input.senderUserId,
        }) as WaitingRow[];
        const { fits, full } = withRoom(input.envelopes, addressed.sessions, waiting, input);
        const envelopes = fits.map(({ envelope, device }) => {
          const { lastInsertRowid } = this.insertEnvelope.run(
            device.session_id,
            input.senderUserId,
            input.senderDevice,
            envelope.kind,
            envelope.ciphertext,
            input.now,
          );
          const delivered = envelopeOf({
            id: Number(lastInsertRowid),
            sender_user_id: input.senderUserId,
            sender_device: input.senderDevice,
            device_number: device.device_number,
            kind: envelope.kind,
            ciphertext: envelope.ciphertext,
            sent_at: input.now,
          });
          return { ...delivered, recipientUserId: envelope.userId };
        });
        this.insertSend.run(input.senderSessionId, input.clientId, input.now);
        return { status: 'stored', envelopes, full };
      })
      .immediate();
  }

  async address(input: EphemeralAddressing): Promise<EphemeralAddressResult> {
    const judged = this.judgeAddressing(input);
    return 'status' in judged ? judged : { status: 'addressed' };
  }

  /** A send's refusal for its addressing (not a contact, devices changed), or the session each envelope goes to. */
  private judgeAddressing(
    input: EphemeralAddressing,
  ): Exclude<EphemeralAddressResult, { status: 'addressed' }> | { sessions: DeviceWithKeysRow[] } {
    const others = othersNamed(input);
    const contacts = this.contactsAmong.all({ user: input.senderUserId, people: JSON.stringify(others) }) as string[];
    if (contacts.length < others.length) return { status: 'not_a_contact' };
    const devices = this.devicesWithKeys.all({
      people: JSON.stringify(peopleNamed(input.envelopes)),
      exceptSession: input.senderSessionId,
      expiredBefore: input.expiredBefore,
    }) as DeviceWithKeysRow[];
    const addressed = addressEnvelopes(input.envelopes, devices);
    return 'mismatches' in addressed ? { status: 'devices_changed', mismatches: addressed.mismatches } : addressed;
  }

  async read(input: {
    sessionId: string;
    afterId: string | undefined;
    limit: number;
  }): Promise<{ envelopes: DeviceEnvelope[]; hasMore: boolean }> {
    // One more than asked for tells whether more wait.
    const rows = this.page.all({
      session: input.sessionId,
      after: input.afterId === undefined ? 0 : Number(input.afterId),
      limit: input.limit + 1,
    }) as InboxRow[];
    return { envelopes: rows.slice(0, input.limit).map(envelopeOf), hasMore: rows.length > input.limit };
  }

  async acknowledge(input: { sessionId: string; ids: readonly string[] }): Promise<number> {
    // Numbers, as the ids are stored (INTEGER), so no text-to-integer comparison is left to affinity rules.
    return this.deleteAcknowledged.run(input.sessionId, JSON.stringify(input.ids.map(Number))).changes;
  }

  async expire(before: number): Promise<number> {
    return this.db
      .transaction((): number => {
        this.expireSends.run(before);
        return this.expireEnvelopes.run(before).changes;
      })
      .immediate();
  }

  async ownDevice(input: { userId: string; deviceNumber: number; expiredBefore: number }): Promise<OwnDevice | null> {
    return this.readOwnDevice(input);
  }

  async sendLink(input: LinkSend): Promise<LinkSendResult> {
    return this.db
      .transaction((): LinkSendResult => {
        if (this.sendUsed.get(input.senderSessionId, input.clientId) !== undefined) return { status: 'duplicate' };
        const judged = judgeLink(input, this.readOwnDevice({ userId: input.senderUserId, ...input }));
        if (judged.status !== 'to') return judged;
        const { lastInsertRowid } = this.insertEnvelope.run(
          judged.sessionId,
          input.senderUserId,
          input.senderDevice,
          'link',
          input.handOver,
          input.now,
        );
        this.insertSend.run(input.senderSessionId, input.clientId, input.now);
        return { status: 'stored', envelope: linkEnvelopeOf(input, Number(lastInsertRowid)) };
      })
      .immediate();
  }

  private readOwnDevice(input: { userId: string; deviceNumber: number; expiredBefore: number }): OwnDevice | null {
    return ownDeviceOf(
      this.ownDeviceRow.get({ user: input.userId, deviceNumber: input.deviceNumber, expiredBefore: input.expiredBefore }) as
        OwnDeviceRow | undefined,
    );
  }
}
