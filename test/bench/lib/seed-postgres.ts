/**
 * Seeding a PostgreSQL database for the cluster benchmarks: the same spec as seed.ts, written
 * through the PostgreSQL server store, so the SQLite baseline (seeded and cached by seed.ts) and
 * the cluster start from the same accounts, tokens, conversations and sequence numbers. Runs in a
 * child process (seed-main.ts) like SQLite seeding; nothing is cached (the database is thrown away
 * with the run).
 */
import { join } from 'node:path';
import { writeFileSync, readFileSync } from 'node:fs';
import { openPostgresServerStore } from '../../../sync/server/store/pg-server-store.js';
import { runTs } from './proc.js';
import { seedStore, type SeedManifest, type SeedSpec } from './seed.js';

/** Statements in flight while accounts and conversations are written (each waits a loopback round trip). */
const CONCURRENCY = 8;

/**
 * Seeds an empty database, then collects the planner's statistics. The seeding connection does not
 * wait for the WAL flush at each commit (synchronous_commit off, for this connection only); the
 * servers that run on it keep the default.
 */
export async function seedPostgres(url: string, spec: SeedSpec): Promise<SeedManifest> {
  const seedingUrl = new URL(url);
  seedingUrl.searchParams.set('options', '-c synchronous_commit=off');
  const store = await openPostgresServerStore(seedingUrl.toString(), { poolSize: CONCURRENCY });
  try {
    if (!(await store.isEmpty())) throw new Error('Seeding PostgreSQL needs an empty database');
    const manifest = await seedStore(store, spec, { step: () => undefined, finish: () => undefined, concurrency: CONCURRENCY });
    // As migrate-store does after its bulk copy, and autovacuum on a database that grew by use: the
    // timed windows plan with statistics, not with the guesses a just-loaded table gets.
    await store.pool.query('ANALYZE');
    return manifest;
  } finally {
    await store.close();
  }
}

/**
 * Seeds `url` with `spec` in a child process and checks that it holds what `expected` (the
 * SQLite seeding's manifest of the same spec) describes: the same users with the same tokens, the
 * same conversations at the same last seq. Returns PostgreSQL's own manifest: sealed traffic is
 * sealed under keys of its own there.
 */
export async function seedPostgresInChild(
  url: string,
  spec: SeedSpec,
  expected: SeedManifest,
  workDir: string,
): Promise<SeedManifest> {
  const specFile = join(workDir, 'pg-seed-spec.json');
  const manifestFile = join(workDir, 'pg-seed-manifest.json');
  writeFileSync(specFile, JSON.stringify(spec));
  await runTs(join('test', 'bench', 'lib', 'seed-main.ts'), [url, specFile, manifestFile], 20 * 60_000);
  const seeded = JSON.parse(readFileSync(manifestFile, 'utf8')) as SeedManifest;
  const fingerprint = (manifest: SeedManifest) =>
    JSON.stringify([
      manifest.users.map((user) => [user.id, user.token]),
      manifest.conversations.map((conversation) => [conversation.id, conversation.lastSeq]),
      (manifest.groups ?? []).map((group) => [group.id, group.lastSeq]),
    ]);
  if (fingerprint(seeded) !== fingerprint(expected)) {
    throw new Error('PostgreSQL was seeded differently from SQLite for the same spec (users, tokens or sequence numbers differ)');
  }
  return seeded;
}
