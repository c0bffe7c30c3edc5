import { createHash } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Setting, SettingRegister } from '../../../sync/protocol/frames.js';
import { openPostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import type { ServerStore, SettingsBudget } from '../../../sync/server/store/server-store.js';
import { openSqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import {
  postgresMigratedThrough,
  postgresSeededBefore,
  sqliteMigratedThrough,
  sqliteSeededBefore,
} from '../../support/store-migrations.js';
import { describeEachStore } from '../../support/store-backends.js';

/**
 * The migration that counts each user's sealed settings (SQLite version 18, PostgreSQL version
 * 15): the totals the budget is checked against are filled from the registers held before it, a
 * sealed register's key and value, nothing for the settings the server reads; a store opened on
 * such a database holds each user to the budget from the registers they had.
 */

const key = (about: string) => createHash('sha256').update(about).digest('base64url');
const sealed = (about: string, chars: number): Extract<Setting, { kind: 'sealed' }> => ({
  kind: 'sealed',
  key: key(about),
  value: 'A'.repeat(chars),
});
/** A register key and value: 43 + the value's characters. */
const SIZE = (chars: number) => 43 + chars;

function settingRow(userId: string, setting: Setting, version: number): string {
  const settingKey =
    setting.kind === 'sealed' ? `sealed:${setting.key}` : setting.kind === 'blocked' ? `blocked:${setting.userId}` : setting.kind;
  return `('${userId}', '${settingKey}', '${JSON.stringify(setting)}', 1, 'device', ${version})`;
}

/** The same rows in both stores: SQL both understand. Ann with two sealed registers and a block; Ben with a privacy setting only; Cat with nothing. */
const SEED = [
  `INSERT INTO users (id, username, display_name, password_hash, created_at, settings_version) VALUES
     ('ann', 'ann', 'Ann', 'x', 1, 3), ('ben', 'ben', 'Ben', 'x', 1, 1), ('cat', 'cat', 'Cat', 'x', 1, 0)`,
  `INSERT INTO settings (user_id, key, setting, at, by, version) VALUES
     ${settingRow('ann', sealed('draft', 400), 1)},
     ${settingRow('ann', sealed('muted', 100), 2)},
     ${settingRow('ann', { kind: 'blocked', userId: 'ben', value: true }, 3)},
     ${settingRow('ben', { kind: 'show_online', value: 'nobody' }, 1)}`,
];
const TOTALS = `SELECT id, sealed_settings AS count, sealed_settings_bytes AS bytes FROM users ORDER BY id`;
const EXPECTED = [
  { id: 'ann', count: 2, bytes: SIZE(400) + SIZE(100) },
  { id: 'ben', count: 0, bytes: 0 },
  { id: 'cat', count: 0, bytes: 0 },
];

/** Ann's budget has room for exactly one more register of 100 characters. */
const BUDGET: SettingsBudget = { sealedSettings: 3, sealedSettingsBytes: SIZE(400) + 2 * SIZE(100) };
const write = (store: ServerStore, userId: string, setting: Setting, at = 2): Promise<unknown> =>
  store.setSettings(userId, [{ setting, at, by: 'device' } satisfies SettingRegister], BUDGET);

/** What a store opened on the migrated database lets each person write: the budget counts what they had. */
async function holdsToTheBudget(store: ServerStore): Promise<void> {
  expect(await write(store, 'ann', sealed('archived', 104))).toEqual({ status: 'refused', reason: 'settings_full' });
  // The draft shrinks by 4: now the register of 104 fits exactly.
  expect(await write(store, 'ann', sealed('draft', 396))).toMatchObject({ status: 'stored' });
  expect(await write(store, 'ann', sealed('archived', 104))).toMatchObject({ status: 'stored' });
  expect(await write(store, 'ann', sealed('pinned', 4))).toEqual({ status: 'refused', reason: 'settings_full' });
  // Ben had none (his privacy setting counts nothing): a register of nearly the whole budget fits.
  expect(await write(store, 'ben', sealed('draft', 684))).toMatchObject({ status: 'stored' });
  expect(await store.listSettings('ann', 3, 10)).toMatchObject({
    settings: [
      { setting: sealed('draft', 396), version: 4 },
      { setting: sealed('archived', 104), version: 5 },
    ],
  });
}

describe('sealed settings budget migration', () => {
  it('SQLite version 18 fills the totals from the sealed registers held', () => {
    const db = sqliteMigratedThrough(18, SEED);
    expect(db.prepare(TOTALS).all()).toEqual(EXPECTED);
  });

  it('PostgreSQL version 15 does the same', async () => {
    const client = await postgresMigratedThrough(15, SEED);
    const { rows } = await client.query<{ id: string; count: string; bytes: string }>(TOTALS);
    expect(rows.map((row) => ({ id: row.id, count: Number(row.count), bytes: Number(row.bytes) }))).toEqual(EXPECTED);
  });
});

describeEachStore('a store on a database from before the sealed settings budget', (backend) => {
  it('holds each person to the budget from the registers they had', async () => {
    const store =
      backend.name === 'sqlite'
        ? openSqliteServerStore(sqliteSeededBefore(18, SEED))
        : await openPostgresServerStore(await postgresSeededBefore(15, SEED));
    onTestFinished(() => store.close());
    await holdsToTheBudget(store);
  });
});
