/**
 * The key backup's store contract (key-backup.ts), one suite over every backend: one backup per
 * account, written compare-and-set (of writes naming the same version, exactly one stores, also
 * when they race), kept byte for byte, and gone with its account only.
 */
import { expect, it } from 'vitest';
import { BACKUP_LIMITS } from '../../../sync/protocol/backup-frames.js';
import { describeStoreContract, NOW } from '../../support/store-contract.js';

/** The largest ciphertext a frame may carry, in valid base64. */
const LARGEST = 'A'.repeat(BACKUP_LIMITS.maxCiphertextChars);

describeStoreContract('the key backup store', (suite) => {
  const put = (userId: string, replaces: number | null, ciphertext: string) =>
    suite.store.keyBackup.put({ userId, replaces, ciphertext, now: NOW });

  it('has no backup for a new account, stores the first as version 1 and hands it back as it came', async () => {
    const ann = await suite.person();
    expect(await suite.store.keyBackup.fetch(ann)).toBeNull();
    expect(await put(ann, null, LARGEST)).toEqual({ status: 'stored', version: 1 });
    expect(await suite.store.keyBackup.fetch(ann)).toEqual({ version: 1, ciphertext: LARGEST });
  });

  it('replaces a backup only in place of the version stored, counting versions up', async () => {
    const ann = await suite.person();
    await put(ann, null, 'b25l');
    expect(await put(ann, null, 'dHdv')).toEqual({ status: 'version_mismatch' });
    expect(await put(ann, 2, 'dHdv')).toEqual({ status: 'version_mismatch' });
    expect(await suite.store.keyBackup.fetch(ann)).toEqual({ version: 1, ciphertext: 'b25l' });
    expect(await put(ann, 1, 'dHdv')).toEqual({ status: 'stored', version: 2 });
    expect(await put(ann, 2, 'dGhyZWU=')).toEqual({ status: 'stored', version: 3 });
    expect(await suite.store.keyBackup.fetch(ann)).toEqual({ version: 3, ciphertext: 'dGhyZWU=' });
  });

  it('keeps one account’s backup apart from another’s: a version names nothing of anyone else', async () => {
    const [ann, ben] = [await suite.person(), await suite.person()];
    await put(ann, null, 'YW5u');
    expect(await put(ben, 1, 'YmVu')).toEqual({ status: 'version_mismatch' });
    expect(await suite.store.keyBackup.fetch(ben)).toBeNull();
    expect(await put(ben, null, 'YmVu')).toEqual({ status: 'stored', version: 1 });
    expect(await suite.store.keyBackup.fetch(ann)).toEqual({ version: 1, ciphertext: 'YW5u' });
  });

  it('lets exactly one of many writes racing for the same version store', async () => {
    const ann = await suite.person();
    const first = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put(ann, null, Buffer.from(`first ${i}`).toString('base64'))),
    );
    expect(first.filter((result) => result.status === 'stored')).toEqual([{ status: 'stored', version: 1 }]);
    const next = await Promise.all(Array.from({ length: 8 }, (_, i) => put(ann, 1, Buffer.from(`next ${i}`).toString('base64'))));
    expect(next.filter((result) => result.status === 'stored')).toEqual([{ status: 'stored', version: 2 }]);
    expect((await suite.store.keyBackup.fetch(ann))?.version).toBe(2);
  });

  it('keeps the backup when devices come and go', async () => {
    const ann = await suite.person();
    await put(ann, null, 'YW5u');
    const session = await suite.session(ann);
    expect(await suite.store.endSessions({ userId: ann, ids: [session] })).toEqual([session]);
    expect(await suite.store.keyBackup.fetch(ann)).toEqual({ version: 1, ciphertext: 'YW5u' });
  });
});
