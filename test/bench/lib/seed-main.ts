/** Child entry: `seed-main.ts <dataDir> <spec.json> <manifest.json>` (see seed.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import { seedServer, type SeedSpec } from './seed.js';

const [dataDir, specFile, manifestFile] = process.argv.slice(2);
if (!dataDir || !specFile || !manifestFile) throw new Error('Usage: seed-main.ts <dataDir> <spec.json> <manifest.json>');
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as SeedSpec;
const manifest = await seedServer(dataDir, spec);
writeFileSync(manifestFile, JSON.stringify(manifest));
