import type { cachedStatement, Db } from '../../node/sqlite.js';
import {
  bundleOf,
  newPrekeys,
  refusePublish,
  type DeviceKeysRow,
  type FetchedBundles,
  type KeyDirectoryStore,
  type PrekeyCounts,
  type PrekeyRow,
  type PublishKeys,
  type PublishKeysResult,
} from './key-directory.js';
import { identityKeySql } from './shared-sql.js';

/**
 * The key directory in the SQLite store. better-sqlite3 runs each transaction to its end before any
 * other JavaScript, and writers BEGIN IMMEDIATE: a fetch reads and deletes the keys it hands out
 * with no other fetch in between.
 */

type Statement = ReturnType<typeof cachedStatement>;

interface LastIds {
  last_ec_prekey_id: number;
  last_kyber_prekey_id: number;
}

export class SqliteKeyDirectory implements KeyDirectoryStore {
  private readonly identityOf: Statement;
  private readonly insertIdentity: Statement;
  private readonly replaceIdentity: Statement;
  private readonly lastIdsOf: Statement;
  private readonly insertDevice: Statement;
  private readonly setRegistrationId: Statement;
  private readonly setSignedPrekey: Statement;
  private readonly setKyberLastResort: Statement;
  private readonly setLastIds: Statement;
  private readonly countOf: Statement;
  private readonly countOfPublished: Statement;
  private readonly insertPrekey: Statement;
  private readonly devicesOf: Statement;
  private readonly firstPrekey: Statement;
  private readonly deletePrekey: Statement;

  constructor(private readonly db: Db) {
    this.identityOf = db.prepare(identityKeySql('?')).pluck();
    this.insertIdentity = db.prepare('INSERT INTO identity_keys (user_id, public_key) VALUES (?, ?)');
    this.replaceIdentity = db.prepare('UPDATE identity_keys SET public_key = ?, identity_changed_at = ? WHERE user_id = ?');
    this.lastIdsOf = db.prepare('SELECT last_ec_prekey_id, last_kyber_prekey_id FROM device_keys WHERE session_id = ?');
    this.insertDevice = db.prepare(
      `INSERT INTO device_keys (session_id, user_id, registration_id, signed_prekey_id, signed_prekey, signed_prekey_signature,
                                kyber_last_resort_id, kyber_last_resort, kyber_last_resort_signature)
       VALUES (@sessionId, @userId, @registrationId, @signedId, @signedKey, @signedSignature, @kyberId, @kyberKey, @kyberSignature)`,
    );
    this.setRegistrationId = db.prepare('UPDATE device_keys SET registration_id = ? WHERE session_id = ?');
    this.setSignedPrekey = db.prepare(
      'UPDATE device_keys SET signed_prekey_id = ?, signed_prekey = ?, signed_prekey_signature = ? WHERE session_id = ?',
    );
    this.setKyberLastResort = db.prepare(
      'UPDATE device_keys SET kyber_last_resort_id = ?, kyber_last_resort = ?, kyber_last_resort_signature = ? WHERE session_id = ?',
    );
    this.setLastIds = db.prepare('UPDATE device_keys SET last_ec_prekey_id = ?, last_kyber_prekey_id = ? WHERE session_id = ?');
    this.countOf = db.prepare(
      `SELECT count(*) FILTER (WHERE kind = 'ec') AS ec, count(*) FILTER (WHERE kind = 'kyber') AS kyber
       FROM one_time_prekeys WHERE session_id = ?`,
    );
    this.countOfPublished = db.prepare(
      `SELECT count(o.key_id) FILTER (WHERE o.kind = 'ec') AS ec, count(o.key_id) FILTER (WHERE o.kind = 'kyber') AS kyber
       FROM device_keys d LEFT JOIN one_time_prekeys o ON o.session_id = d.session_id
       WHERE d.session_id = ? GROUP BY d.session_id`,
    );
    this.insertPrekey = db.prepare(
      'INSERT INTO one_time_prekeys (session_id, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?)',
    );
    this.devicesOf = db.prepare(
      `SELECT d.session_id, s.device_number, d.registration_id, d.signed_prekey_id, d.signed_prekey, d.signed_prekey_signature,
              d.kyber_last_resort_id, d.kyber_last_resort, d.kyber_last_resort_signature
       FROM device_keys d JOIN sessions s ON s.id = d.session_id
       WHERE d.user_id = ? AND d.session_id <> ? AND s.last_used_at >= ?
       ORDER BY s.device_number`,
    );
    this.firstPrekey = db.prepare(
      `SELECT session_id, kind, key_id, public_key, signature FROM one_time_prekeys
       WHERE session_id = ? AND kind = ? ORDER BY key_id LIMIT 1`,
    );
    this.deletePrekey = db.prepare('DELETE FROM one_time_prekeys WHERE session_id = ? AND kind = ? AND key_id = ?');
  }

  async publishKeys(input: PublishKeys): Promise<PublishKeysResult> {
    return this.db
      .transaction((): PublishKeysResult => {
        const identityKey = (this.identityOf.get(input.userId) as string | undefined) ?? null;
        const last = this.lastIdsOf.get(input.sessionId) as LastIds | undefined;
        const refusal = refusePublish(input, { identityKey, devicePublished: last !== undefined });
        if (refusal) return { status: 'refused', reason: refusal };
        const fresh = newPrekeys(input, { ec: last?.last_ec_prekey_id ?? 0, kyber: last?.last_kyber_prekey_id ?? 0 });
        const before = last ? this.counts(input.sessionId) : { ecPrekeys: 0, kyberPrekeys: 0 };
        if (before.ecPrekeys + fresh.ec.length > input.maxStored || before.kyberPrekeys + fresh.kyber.length > input.maxStored) {
          return { status: 'refused', reason: 'too_many_prekeys' };
        }
        const identityChanged = identityKey !== null && identityKey !== input.identityKey;
        if (identityKey === null) this.insertIdentity.run(input.userId, input.identityKey);
        else if (identityChanged) this.replaceIdentity.run(input.identityKey, input.now, input.userId);
        if (!last) {
          // refusePublish made sure a first publish has both.
          const signed = input.signedPrekey!;
          const kyber = input.kyberLastResortPrekey!;
          this.insertDevice.run({
            sessionId: input.sessionId,
            userId: input.userId,
            registrationId: input.registrationId,
            signedId: signed.keyId,
            signedKey: signed.publicKey,
            signedSignature: signed.signature,
            kyberId: kyber.keyId,
            kyberKey: kyber.publicKey,
            kyberSignature: kyber.signature,
          });
        } else {
          this.setRegistrationId.run(input.registrationId, input.sessionId);
          const signed = input.signedPrekey;
          if (signed) this.setSignedPrekey.run(signed.keyId, signed.publicKey, signed.signature, input.sessionId);
          const kyber = input.kyberLastResortPrekey;
          if (kyber) this.setKyberLastResort.run(kyber.keyId, kyber.publicKey, kyber.signature, input.sessionId);
        }
        for (const key of fresh.ec) this.insertPrekey.run(input.sessionId, 'ec', key.keyId, key.publicKey, null);
        for (const key of fresh.kyber) this.insertPrekey.run(input.sessionId, 'kyber', key.keyId, key.publicKey, key.signature);
        this.setLastIds.run(
          Math.max(last?.last_ec_prekey_id ?? 0, ...fresh.ec.map((key) => key.keyId)),
          Math.max(last?.last_kyber_prekey_id ?? 0, ...fresh.kyber.map((key) => key.keyId)),
          input.sessionId,
        );
        return {
          status: 'stored',
          counts: { ecPrekeys: before.ecPrekeys + fresh.ec.length, kyberPrekeys: before.kyberPrekeys + fresh.kyber.length },
          identityChanged,
        };
      })
      .immediate();
  }

  async fetchBundles(input: { userId: string; exceptSessionId: string; expiredBefore: number }): Promise<FetchedBundles | null> {
    return this.db
      .transaction((): FetchedBundles | null => {
        const identityKey = this.identityOf.get(input.userId) as string | undefined;
        if (identityKey === undefined) return null;
        const devices = this.devicesOf.all(input.userId, input.exceptSessionId, input.expiredBefore) as DeviceKeysRow[];
        if (devices.length === 0) return null;
        const taken: PrekeyRow[] = [];
        for (const device of devices) {
          for (const kind of ['ec', 'kyber'] as const) {
            const key = this.firstPrekey.get(device.session_id, kind) as PrekeyRow | undefined;
            if (!key) continue;
            this.deletePrekey.run(key.session_id, key.kind, key.key_id);
            taken.push(key);
          }
        }
        return {
          identityKey,
          bundles: devices.map((device) => bundleOf(device, taken)),
          left: devices.map((device) => ({ deviceNumber: device.device_number, ...this.counts(device.session_id) })),
        };
      })
      .immediate();
  }

  async countPrekeys(sessionId: string): Promise<PrekeyCounts | null> {
    // No row when the device never published.
    const row = this.countOfPublished.get(sessionId) as { ec: number; kyber: number } | undefined;
    return row ? { ecPrekeys: row.ec, kyberPrekeys: row.kyber } : null;
  }

  async identityKey(userId: string): Promise<string | null> {
    return (this.identityOf.get(userId) as string | undefined) ?? null;
  }

  private counts(sessionId: string): PrekeyCounts {
    const row = this.countOf.get(sessionId) as { ec: number; kyber: number };
    return { ecPrekeys: row.ec, kyberPrekeys: row.kyber };
  }
}
