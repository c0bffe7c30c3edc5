/**
 * The server and username last signed in on this device, kept beside the preferences rather than in
 * the mirror: the sign-in screen offers them when the mirror is gone ("Start fresh" after a damaged
 * one) or signed out. Neither is a secret; no password or token is ever written here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { LastAccount } from '../app-api/contract.js';
import { LIMITS } from '../protocol/limits.js';
import { writeFileAtomically } from '../node/private-files.js';

export const LAST_ACCOUNT_FILE = 'last-account.json';

const lastAccountSchema = z
  .object({
    serverUrl: z.string().min(1).max(2_048),
    username: z.string().min(1).max(LIMITS.maxUsernameChars),
  })
  .strict();

/** What the file says, checked with its schema; null when there is none or it cannot be used. */
export function readLastAccount(profileDir: string): LastAccount | null {
  try {
    const parsed = lastAccountSchema.safeParse(JSON.parse(readFileSync(join(profileDir, LAST_ACCOUNT_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function writeLastAccount(profileDir: string, account: LastAccount): void {
  writeFileAtomically(join(profileDir, LAST_ACCOUNT_FILE), `${JSON.stringify(lastAccountSchema.parse(account))}\n`);
}
