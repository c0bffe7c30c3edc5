/**
 * A check of the account's password kept in the account keys file, so "Recovery key" in the
 * settings can ask for the password without the server (offline too): scrypt with a random salt,
 * its cost stored beside the hash so it can be raised later. It is set wherever this device learns
 * the password (sign-up, sign-in, a password change here).
 */
import { scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Random } from '../../common/runtime.js';

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** OWASP's minimum for scrypt, as the server hashes passwords (sync/server/passwords.ts). */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;

export const passwordVerifierSchema = z
  .object({
    // Bounded, so a damaged file cannot ask for gigabytes of memory.
    N: z
      .number()
      .int()
      .min(2)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, 'a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: z.string().regex(/^[0-9a-f]{32}$/),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type PasswordVerifier = z.infer<typeof passwordVerifierSchema>;

export async function newPasswordVerifier(password: string, random: Random): Promise<PasswordVerifier> {
  const salt = random.hex(SALT_BYTES);
  const hash = await derive(password, { ...COST, salt });
  return { ...COST, salt, hash: hash.toString('hex') };
}

export async function passwordMatches(password: string, verifier: PasswordVerifier): Promise<boolean> {
  const hash = await derive(password, verifier);
  return timingSafeEqual(hash, Buffer.from(verifier.hash, 'hex'));
}

function derive(password: string, cost: Pick<PasswordVerifier, 'N' | 'r' | 'p' | 'salt'>): Promise<Buffer> {
  // Node's default memory ceiling is exactly what N=2^15, r=8 needs, and it refuses that; leave room.
  const options = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), Buffer.from(cost.salt, 'hex'), HASH_BYTES, options, (error, hash) =>
      error ? reject(error) : resolve(hash),
    );
  });
}
