/**
 * The renderer's side of safety numbers: the store's calls (shown, marked verified and cleared,
 * the question before sending), the change notice in every language, and the QR code's path drawn
 * from uqr's matrix.
 */
import { encode } from 'uqr';
import { afterEach, describe, expect, it } from 'vitest';
import { noticeText } from '../../../renderer/format/notices.js';
import { qrPath } from '../../../renderer/format/qr-path.js';
import { setLanguage } from '../../../renderer/i18n/index.js';
import { alice, bob, FakeApi, notice, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();
afterEach(() => setLanguage('en'));

const shown = {
  kind: 'number' as const,
  userId: bob.id,
  digits: '0123456789'.repeat(6),
  scannable: Buffer.from('scannable').toString('base64'),
  identityKey: Buffer.alloc(33, 7).toString('base64'),
  verified: false,
};

describe('safety numbers in the renderer store', () => {
  it('reads a number, marks it verified with the key it was shown for, and clears it', async () => {
    const api = new FakeApi();
    api.safetyNumbers.set(bob.id, shown);
    const { actions } = (await start(api)).getState();
    expect(await actions.loadSafetyNumber(bob.id)).toEqual(shown);
    await actions.setIdentityVerified(bob.id, shown.identityKey, true);
    expect(api.callsOf('setIdentityVerified')).toEqual([{ userId: bob.id, identityKey: shown.identityKey, verified: true }]);
    expect(await actions.loadSafetyNumber(bob.id)).toMatchObject({ verified: true });
    await actions.setIdentityVerified(bob.id, shown.identityKey, false);
    expect(await actions.loadSafetyNumber(bob.id)).toMatchObject({ verified: false });
    expect(await actions.loadSafetyNumber('u-nobody')).toEqual({ kind: 'no_keys', userId: 'u-nobody' });
  });

  it('tells who changed in a conversation until "Send anyway" is confirmed', async () => {
    const api = new FakeApi();
    api.identityChanges.set('c1', [bob]);
    const { actions } = (await start(api)).getState();
    expect(await actions.loadIdentityChanges('c1')).toEqual([bob]);
    expect(await actions.loadIdentityChanges('c2')).toEqual([]);
    await actions.confirmIdentityChanges('c1');
    expect(api.callsOf('confirmIdentityChanges')).toEqual([{ conversationId: 'c1' }]);
    expect(await actions.loadIdentityChanges('c1')).toEqual([]);
  });
});

describe('the safety number notice', () => {
  const changed = notice({ seq: 2.5, kind: 'safety_number_changed', actor: bob, subjects: [] });

  it('names whose number changed, with a straight apostrophe in English', () => {
    expect(noticeText(changed)).toBe("Bob Brown's safety number has changed");
    expect(noticeText({ ...changed, actor: alice })).toBe("Alice Liddell's safety number has changed");
  });

  it('is translated', () => {
    setLanguage('ru');
    expect(noticeText(changed)).toBe('Код безопасности с Bob Brown изменился');
    setLanguage('uk');
    expect(noticeText(changed)).toBe('Код безпеки з Bob Brown змінився');
  });
});

describe('the QR code', () => {
  const value = shown.scannable;

  it('draws one unit square per dark module of uqr’s matrix, inside a quiet zone', () => {
    const { data } = encode(value);
    const { size, path } = qrPath(value);
    expect(size).toBe(data.length + 8);
    const squares = [...path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((match) => [Number(match[1]) - 4, Number(match[2]) - 4]);
    const dark = data.flatMap((row, y) => row.flatMap((on, x) => (on ? [[x, y]] : [])));
    expect(squares).toEqual(dark);
  });
});
