/**
 * The budget of sealed settings (settings-rules.ts), the store contract over every backend: a
 * user's sealed registers may number and weigh only so much; the totals are kept on the user's row,
 * moved by the difference each write makes; a write that would pass the budget is refused whole
 * (`settings_full`), storing nothing; the settings the server reads never count.
 */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Setting, SettingRegister } from '../../../sync/protocol/frames.js';
import type { SettingsBudget } from '../../../sync/server/store/server-store.js';
import { UNBUDGETED, sealedSize } from '../../../sync/server/store/settings-rules.js';
import { describeStoreContract } from '../../support/store-contract.js';

/** A sealed register's key: 32 bytes as unpadded base64url. */
const KEY_CHARS = 43;

/** A sealed setting whose key `about` picks and whose value is `chars` characters of base64. */
function sealed(about: string, chars: number): Extract<Setting, { kind: 'sealed' }> {
  return { kind: 'sealed', key: createHash('sha256').update(about).digest('base64url'), value: 'A'.repeat(chars) };
}

const register = (setting: Setting, at: number, by = 'device-a'): SettingRegister => ({ setting, at, by });
const refusedFull = { status: 'refused', reason: 'settings_full' };

describeStoreContract('the sealed settings budget', (suite) => {
  /** The running totals on the user's row, as the database holds them. */
  async function totals(userId: string): Promise<{ count: number; bytes: number }> {
    const [row] = await suite.database.query<{ count: number | string; bytes: number | string }>(
      `SELECT sealed_settings AS count, sealed_settings_bytes AS bytes FROM users WHERE id = '${userId}'`,
    );
    return { count: Number(row!.count), bytes: Number(row!.bytes) };
  }

  const set = (userId: string, budget: SettingsBudget, ...registers: SettingRegister[]) =>
    suite.store.setSettings(userId, registers, budget);

  it('counts a sealed register as its key and value, and a new account holds none', async () => {
    const ann = await suite.person();
    expect(await totals(ann)).toEqual({ count: 0, bytes: 0 });
    expect(sealedSize(sealed('a', 100))).toBe(KEY_CHARS + 100);
    await set(ann, UNBUDGETED, register(sealed('a', 100), 1), register(sealed('b', 8), 1));
    expect(await totals(ann)).toEqual({ count: 2, bytes: 2 * KEY_CHARS + 108 });
  });

  it('takes registers up to the budget exactly, and refuses the one that would pass it, by size and by number', async () => {
    const ann = await suite.person();
    const bySize: SettingsBudget = { sealedSettings: 100, sealedSettingsBytes: 3 * (KEY_CHARS + 100) };
    expect(await set(ann, bySize, register(sealed('a', 100), 1), register(sealed('b', 100), 1))).toMatchObject({
      status: 'stored',
    });
    expect(await set(ann, bySize, register(sealed('c', 104), 1))).toEqual(refusedFull);
    expect(await set(ann, bySize, register(sealed('c', 100), 1))).toMatchObject({ status: 'stored' });
    expect(await totals(ann)).toEqual({ count: 3, bytes: bySize.sealedSettingsBytes });
    expect(await set(ann, bySize, register(sealed('d', 4), 1))).toEqual(refusedFull);

    const ben = await suite.person();
    const byNumber: SettingsBudget = { sealedSettings: 2, sealedSettingsBytes: 1_000_000 };
    await set(ben, byNumber, register(sealed('a', 4), 1), register(sealed('b', 4), 1));
    expect(await set(ben, byNumber, register(sealed('c', 4), 1))).toEqual(refusedFull);
    // A register of a key held already is no new one: replacing it fits.
    expect(await set(ben, byNumber, register(sealed('a', 400), 2))).toMatchObject({ status: 'stored' });
    expect(await totals(ben)).toEqual({ count: 2, bytes: 2 * KEY_CHARS + 404 });
  });

  it('counts the difference a register makes to the one of its key it replaces; a write that loses the merge counts nothing', async () => {
    const ann = await suite.person();
    const budget: SettingsBudget = { sealedSettings: 100, sealedSettingsBytes: KEY_CHARS + 200 };
    await set(ann, budget, register(sealed('draft', 200), 1));
    // As large as the budget allows, then smaller: each replaces what was there.
    expect(await set(ann, budget, register(sealed('draft', 200), 2))).toMatchObject({ status: 'stored' });
    expect(await set(ann, budget, register(sealed('draft', 40), 3))).toMatchObject({ status: 'stored' });
    expect(await totals(ann)).toEqual({ count: 1, bytes: KEY_CHARS + 40 });
    // Older than the stored one: it loses, nothing is written, so it cannot pass the budget either.
    const lost = await set(ann, budget, register(sealed('draft', 2_000), 2));
    expect(lost).toMatchObject({ status: 'stored', settings: [{ ...register(sealed('draft', 40), 3), version: 3 }] });
    // The same key twice in one frame counts once, as its last winner.
    expect(await set(ann, budget, register(sealed('draft', 2_000), 4), register(sealed('draft', 100), 5))).toMatchObject({
      status: 'stored',
    });
    expect(await totals(ann)).toEqual({ count: 1, bytes: KEY_CHARS + 100 });
    // Freed room is room: a second register fits now.
    expect(await set(ann, budget, register(sealed('mute', 60), 1))).toEqual(refusedFull);
    expect(await set(ann, budget, register(sealed('mute', 56), 1))).toMatchObject({ status: 'stored' });
    expect(await totals(ann)).toEqual({ count: 2, bytes: 2 * KEY_CHARS + 156 });
  });

  it('refuses a frame that would pass the budget whole: none of its registers, versions or blocks are stored', async () => {
    const [ann, ben] = [await suite.person(), await suite.person()];
    const budget: SettingsBudget = { sealedSettings: 100, sealedSettingsBytes: 2 * KEY_CHARS + 200 };
    await set(ann, budget, register(sealed('a', 100), 1));
    const before = await suite.store.listSettings(ann, 0, 100);
    const frame = [
      register({ kind: 'blocked', userId: ben, value: true }, 2),
      register({ kind: 'show_online', value: 'nobody' }, 2),
      register(sealed('a', 40), 2),
      register(sealed('b', 100), 2),
      register(sealed('c', 100), 2),
    ];
    expect(await set(ann, budget, ...frame)).toEqual(refusedFull);
    expect(await suite.store.listSettings(ann, 0, 100)).toEqual(before);
    expect(await suite.store.listBlockedWith(ann)).toEqual([]);
    expect(await totals(ann)).toEqual({ count: 1, bytes: KEY_CHARS + 100 });
    // Without the register that passed it, the same frame goes, and the versions go on from 2.
    const stored = await set(ann, budget, ...frame.slice(0, 4));
    expect(stored).toMatchObject({ status: 'stored' });
    expect(stored.status === 'stored' && stored.changed.map((setting) => setting.version)).toEqual([2, 3, 4, 5]);
    expect(await suite.store.listBlockedWith(ann)).toEqual([ben]);
    expect(await totals(ann)).toEqual({ count: 2, bytes: 2 * KEY_CHARS + 140 });
  });

  it('counts only sealed registers: blocks, privacy and answers go through a full budget', async () => {
    const [ann, ben] = [await suite.person(), await suite.person()];
    const budget: SettingsBudget = { sealedSettings: 1, sealedSettingsBytes: 1_000 };
    await set(ann, budget, register(sealed('a', 4), 1));
    expect(await set(ann, budget, register(sealed('b', 4), 1))).toEqual(refusedFull);
    expect(
      await set(
        ann,
        budget,
        register({ kind: 'blocked', userId: ben, value: true }, 1),
        register({ kind: 'show_online', value: 'nobody' }, 1),
        register({ kind: 'group_adds', value: 'contacts' }, 1),
      ),
    ).toMatchObject({ status: 'stored' });
    expect(await totals(ann)).toEqual({ count: 1, bytes: KEY_CHARS + 4 });
  });

  it('lets an account over its budget (a budget lowered since) shrink what it holds, never grow it', async () => {
    const ann = await suite.person();
    await set(ann, UNBUDGETED, register(sealed('a', 400), 1), register(sealed('b', 400), 1), register(sealed('c', 400), 1));
    const lowered: SettingsBudget = { sealedSettings: 2, sealedSettingsBytes: KEY_CHARS + 400 };
    expect(await set(ann, lowered, register(sealed('a', 8), 2))).toMatchObject({ status: 'stored' });
    expect(await set(ann, lowered, register(sealed('b', 404), 2))).toEqual(refusedFull);
    expect(await set(ann, lowered, register(sealed('b', 400), 2))).toMatchObject({ status: 'stored' });
    expect(await set(ann, lowered, register(sealed('d', 4), 1))).toEqual(refusedFull);
    expect(await totals(ann)).toEqual({ count: 3, bytes: 3 * KEY_CHARS + 808 });
  });

  it("keeps each account's totals apart, and across the store being opened again", async () => {
    const [ann, ben] = [await suite.person(), await suite.person()];
    const budget: SettingsBudget = { sealedSettings: 10, sealedSettingsBytes: KEY_CHARS + 100 };
    await set(ann, budget, register(sealed('a', 100), 1));
    expect(await set(ben, budget, register(sealed('a', 100), 1))).toMatchObject({ status: 'stored' });
    await suite.reopen();
    expect(await set(ann, budget, register(sealed('b', 4), 1))).toEqual(refusedFull);
    expect(await set(ann, budget, register(sealed('a', 96), 2))).toMatchObject({ status: 'stored' });
    expect(await totals(ann)).toEqual({ count: 1, bytes: KEY_CHARS + 96 });
    expect(await totals(ben)).toEqual({ count: 1, bytes: KEY_CHARS + 100 });
  });

  it('lets writes racing for the last room store only as many as fit', async () => {
    const ann = await suite.person();
    const budget: SettingsBudget = { sealedSettings: 3, sealedSettingsBytes: 1_000_000 };
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => set(ann, budget, register(sealed(`key ${i}`, 8), 1))));
    expect(results.filter((result) => result.status === 'stored')).toHaveLength(3);
    expect(results.filter((result) => result.status === 'refused')).toEqual(Array.from({ length: 5 }, () => refusedFull));
    expect(await totals(ann)).toEqual({ count: 3, bytes: 3 * (KEY_CHARS + 8) });
    expect((await suite.store.listSettings(ann, 0, 100)).settings).toHaveLength(3);
  });
});
