/**
 * Child entry: `seed-main.ts <dataDir | postgres://url> <spec.json> <manifest.json>`: seeds a
 * SQLite server folder (seed.ts) or an empty PostgreSQL database (seed-postgres.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { seedPostgres } from './seed-postgres.js';
import { seedServer, type SeedSpec } from './seed.js';

const [target, specFile, manifestFile] = process.argv.slice(2);
if (!target || !specFile || !manifestFile)
  throw new Error('Usage: seed-main.ts <dataDir | postgres://url> <spec.json> <manifest.json>');
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as SeedSpec;
const manifest = /^postgres(ql)?:\/\//.test(target) ? await seedPostgres(target, spec) : await seedServer(target, spec);
writeFileSync(manifestFile, JSON.stringify(manifest));
