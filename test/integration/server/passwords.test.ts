import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher, DEFAULT_PASSWORD_COST, PasswordsBusyError } from '../../../sync/server/passwords.js';
import { CHEAP_PASSWORD_COST } from '../../support/server-harness.js';

const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');
const HERE = '127.0.0.1';

describe('password hashing', () => {
  it('hashes a bounded number at once and refuses at once what does not fit in the queue', async () => {
    const hasher = createPasswordHasher(randomHex, CHEAP_PASSWORD_COST, { concurrent: 1, queued: 2, perAddress: 10 });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => hasher.hash(`password ${i}`, `192.0.2.${i}`)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    for (const outcome of outcomes.slice(3)) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PasswordsBusyError);
    // Every turn was given back: the next ones run.
    const again = await Promise.all([hasher.hash('later', HERE), hasher.verifyNothing('later', HERE)]);
    expect(again[1]).toBe(false);
  });

  it('gives one address only its share of the queue: a flood from it is refused while another address is served', async () => {
    const hasher = createPasswordHasher(randomHex, CHEAP_PASSWORD_COST, { concurrent: 1, queued: 64, perAddress: 3 });
    const flood = Array.from({ length: 12 }, (_, i) => hasher.hash(`flood ${i}`, '203.0.113.9'));
    const other = hasher.hash('mine', '198.51.100.7');
    const outcomes = await Promise.allSettled(flood);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(3);
    for (const outcome of outcomes.slice(3)) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PasswordsBusyError);
    await expect(other).resolves.toMatch(/^scrypt\$/);
    // Its share is given back as its jobs end.
    await expect(hasher.hash('flood again', '203.0.113.9')).resolves.toMatch(/^scrypt\$/);
  });

  it('stores a self-describing scrypt string with a random salt and verifies only the right password', async () => {
    const hasher = createPasswordHasher(randomHex, CHEAP_PASSWORD_COST);
    const first = await hasher.hash('open sesame', HERE);
    const second = await hasher.hash('open sesame', HERE);
    expect(first).toMatch(/^scrypt\$1024\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(second).not.toBe(first);
    expect(await hasher.verify('open sesame', first, HERE)).toBe(true);
    expect(await hasher.verify('open sesame', second, HERE)).toBe(true);
    expect(await hasher.verify('open sesamE', first, HERE)).toBe(false);
    expect(await hasher.verifyNothing('open sesame', HERE)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, so raising the cost keeps old passwords valid', async () => {
    const old = await createPasswordHasher(randomHex, { N: 2 ** 8, r: 8, p: 1 }).hash('kept across upgrades', HERE);
    const current = createPasswordHasher(randomHex, CHEAP_PASSWORD_COST);
    expect(await current.verify('kept across upgrades', old, HERE)).toBe(true);
  });

  it('rejects corrupt or absurd stored hashes instead of throwing or exhausting memory', async () => {
    const hasher = createPasswordHasher(randomHex, CHEAP_PASSWORD_COST);
    const good = await hasher.hash('password one', HERE);
    const [, , r, p, salt, key] = good.split('$');
    for (const stored of [
      '',
      'plain',
      `bcrypt$1024$${r}$${p}$${salt}$${key}`,
      `scrypt$1000$${r}$${p}$${salt}$${key}`,
      `scrypt$${2 ** 30}$${r}$${p}$${salt}$${key}`,
      `scrypt$1024$${r}$${p}$${salt}$zz`,
    ]) {
      expect(await hasher.verify('password one', stored, HERE)).toBe(false);
    }
    expect(() => createPasswordHasher(randomHex, { N: 1000, r: 8, p: 1 })).toThrow(RangeError);
  });

  it('works with the production default cost (memory limit set high enough)', async () => {
    const hasher = createPasswordHasher(randomHex, DEFAULT_PASSWORD_COST);
    const stored = await hasher.hash('production strength', HERE);
    expect(stored.startsWith(`scrypt$${2 ** 15}$8$1$`)).toBe(true);
    expect(await hasher.verify('production strength', stored, HERE)).toBe(true);
  });
});
