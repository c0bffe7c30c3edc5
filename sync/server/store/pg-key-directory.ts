import { inTransaction, type PostgresConnections, type Session } from './pg-connections.js';
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
 * The key directory in the PostgreSQL store. A publish locks the user's row (FOR NO KEY UPDATE: the
 * identity key is decided under it) and its device's row; a fetch locks the rows of the user's devices before it picks their keys, so two
 * fetches of one user's bundles on any nodes take turns, and the second sees what the first deleted
 * (READ COMMITTED reads afresh after the lock).
 */
export class PostgresKeyDirectory implements KeyDirectoryStore {
  constructor(private readonly db: PostgresConnections) {}

  publishKeys(input: PublishKeys): Promise<PublishKeysResult> {
    return inTransaction(this.db, async (tx): Promise<PublishKeysResult> => {
      await tx.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [input.userId]);
      const identity = await tx.query<{ public_key: string }>(identityKeySql('$1'), [input.userId]);
      const identityKey = identity.rows[0]?.public_key ?? null;
      const device = await tx.query<{ last_ec_prekey_id: number; last_kyber_prekey_id: number }>(
        'SELECT last_ec_prekey_id, last_kyber_prekey_id FROM device_keys WHERE session_id = $1 FOR UPDATE',
        [input.sessionId],
      );
      const last = device.rows[0];
      const refusal = refusePublish(input, { identityKey, devicePublished: last !== undefined });
      if (refusal) return { status: 'refused', reason: refusal };
      const fresh = newPrekeys(input, { ec: last?.last_ec_prekey_id ?? 0, kyber: last?.last_kyber_prekey_id ?? 0 });
      const before = last ? await countsIn(tx, input.sessionId) : { ecPrekeys: 0, kyberPrekeys: 0 };
      if (before.ecPrekeys + fresh.ec.length > input.maxStored || before.kyberPrekeys + fresh.kyber.length > input.maxStored) {
        return { status: 'refused', reason: 'too_many_prekeys' };
      }
      const identityChanged = identityKey !== null && identityKey !== input.identityKey;
      if (identityKey === null) {
        await tx.query('INSERT INTO identity_keys (user_id, public_key) VALUES ($1, $2)', [input.userId, input.identityKey]);
      } else if (identityChanged) {
        await tx.query('UPDATE identity_keys SET public_key = $1, identity_changed_at = $2 WHERE user_id = $3', [
          input.identityKey,
          input.now,
          input.userId,
        ]);
      }
      if (!last) {
        // refusePublish made sure a first publish has both.
        const signed = input.signedPrekey!;
        const kyber = input.kyberLastResortPrekey!;
        await tx.query(
          `INSERT INTO device_keys (session_id, user_id, registration_id, signed_prekey_id, signed_prekey, signed_prekey_signature,
                                    kyber_last_resort_id, kyber_last_resort, kyber_last_resort_signature)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            input.sessionId,
            input.userId,
            input.registrationId,
            signed.keyId,
            signed.publicKey,
            signed.signature,
            kyber.keyId,
            kyber.publicKey,
            kyber.signature,
          ],
        );
      } else {
        await tx.query('UPDATE device_keys SET registration_id = $1 WHERE session_id = $2', [
          input.registrationId,
          input.sessionId,
        ]);
        const signed = input.signedPrekey;
        if (signed) {
          await tx.query(
            'UPDATE device_keys SET signed_prekey_id = $1, signed_prekey = $2, signed_prekey_signature = $3 WHERE session_id = $4',
            [signed.keyId, signed.publicKey, signed.signature, input.sessionId],
          );
        }
        const kyber = input.kyberLastResortPrekey;
        if (kyber) {
          await tx.query(
            `UPDATE device_keys SET kyber_last_resort_id = $1, kyber_last_resort = $2, kyber_last_resort_signature = $3
             WHERE session_id = $4`,
            [kyber.keyId, kyber.publicKey, kyber.signature, input.sessionId],
          );
        }
      }
      const keys = [
        ...fresh.ec.map((key) => ({ kind: 'ec', keyId: key.keyId, publicKey: key.publicKey, signature: null })),
        ...fresh.kyber.map((key) => ({ kind: 'kyber', keyId: key.keyId, publicKey: key.publicKey, signature: key.signature })),
      ];
      if (keys.length > 0) {
        await tx.query(
          `INSERT INTO one_time_prekeys (session_id, kind, key_id, public_key, signature)
           SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::text[], $5::text[])`,
          [
            input.sessionId,
            keys.map((key) => key.kind),
            keys.map((key) => key.keyId),
            keys.map((key) => key.publicKey),
            keys.map((key) => key.signature),
          ],
        );
      }
      await tx.query('UPDATE device_keys SET last_ec_prekey_id = $1, last_kyber_prekey_id = $2 WHERE session_id = $3', [
        Math.max(last?.last_ec_prekey_id ?? 0, ...fresh.ec.map((key) => key.keyId)),
        Math.max(last?.last_kyber_prekey_id ?? 0, ...fresh.kyber.map((key) => key.keyId)),
        input.sessionId,
      ]);
      return {
        status: 'stored',
        counts: { ecPrekeys: before.ecPrekeys + fresh.ec.length, kyberPrekeys: before.kyberPrekeys + fresh.kyber.length },
        identityChanged,
      };
    });
  }

  fetchBundles(input: { userId: string; exceptSessionId: string; expiredBefore: number }): Promise<FetchedBundles | null> {
    return inTransaction(this.db, async (tx): Promise<FetchedBundles | null> => {
      const identity = await tx.query<{ public_key: string }>(identityKeySql('$1'), [input.userId]);
      const identityKey = identity.rows[0]?.public_key;
      if (identityKey === undefined) return null;
      const { rows: devices } = await tx.query<DeviceKeysRow>(
        `SELECT d.session_id, s.device_number, d.registration_id, d.signed_prekey_id, d.signed_prekey, d.signed_prekey_signature,
                d.kyber_last_resort_id, d.kyber_last_resort, d.kyber_last_resort_signature
         FROM device_keys d JOIN sessions s ON s.id = d.session_id
         WHERE d.user_id = $1 AND d.session_id <> $2 AND s.last_used_at >= $3
         ORDER BY s.device_number
         FOR UPDATE OF d`,
        [input.userId, input.exceptSessionId, input.expiredBefore],
      );
      if (devices.length === 0) return null;
      // The lowest id of each kind per device, in one statement; the device rows' locks keep any
      // other fetch of them waiting until this one commits.
      const { rows: taken } = await tx.query<PrekeyRow>(
        `DELETE FROM one_time_prekeys o
         USING (SELECT session_id, kind, min(key_id) AS key_id FROM one_time_prekeys
                WHERE session_id = ANY($1::text[]) GROUP BY session_id, kind) first
         WHERE o.session_id = first.session_id AND o.kind = first.kind AND o.key_id = first.key_id
         RETURNING o.session_id, o.kind, o.key_id, o.public_key, o.signature`,
        [devices.map((device) => device.session_id)],
      );
      const { rows: left } = await tx.query<{ session_id: string; ec: number; kyber: number }>(
        `SELECT session_id, count(*) FILTER (WHERE kind = 'ec') AS ec, count(*) FILTER (WHERE kind = 'kyber') AS kyber
         FROM one_time_prekeys WHERE session_id = ANY($1::text[]) GROUP BY session_id`,
        [devices.map((device) => device.session_id)],
      );
      return {
        identityKey,
        bundles: devices.map((device) => bundleOf(device, taken)),
        left: devices.map((device) => {
          const counts = left.find((row) => row.session_id === device.session_id);
          return { deviceNumber: device.device_number, ecPrekeys: counts?.ec ?? 0, kyberPrekeys: counts?.kyber ?? 0 };
        }),
      };
    });
  }

  async countPrekeys(sessionId: string): Promise<PrekeyCounts | null> {
    // One statement (every socket asks as it connects): no row when the device never published.
    const [row] = await this.db.query<{ ec: number; kyber: number }>(
      `SELECT count(o.key_id) FILTER (WHERE o.kind = 'ec') AS ec, count(o.key_id) FILTER (WHERE o.kind = 'kyber') AS kyber
       FROM device_keys d LEFT JOIN one_time_prekeys o ON o.session_id = d.session_id
       WHERE d.session_id = $1 GROUP BY d.session_id`,
      [sessionId],
    );
    return row ? { ecPrekeys: row.ec, kyberPrekeys: row.kyber } : null;
  }

  async identityKey(userId: string): Promise<string | null> {
    const [row] = await this.db.query<{ public_key: string }>(identityKeySql('$1'), [userId]);
    return row?.public_key ?? null;
  }
}

async function countsIn(tx: Session, sessionId: string): Promise<PrekeyCounts> {
  const { rows } = await tx.query<{ ec: number; kyber: number }>(
    `SELECT count(*) FILTER (WHERE kind = 'ec') AS ec, count(*) FILTER (WHERE kind = 'kyber') AS kyber
     FROM one_time_prekeys WHERE session_id = $1`,
    [sessionId],
  );
  return { ecPrekeys: rows[0]?.ec ?? 0, kyberPrekeys: rows[0]?.kyber ?? 0 };
}
