/** Child entry: `raw-decrypt-main.ts <input.json> <output.json>`: one raw decrypt (raw-decrypt.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import { rawDecrypt, type RawDecryptInput } from './raw-decrypt.js';

const [inputFile, outputFile] = process.argv.slice(2);
if (!inputFile || !outputFile) throw new Error('Usage: raw-decrypt-main.ts <input.json> <output.json>');
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as RawDecryptInput;
writeFileSync(outputFile, JSON.stringify(await rawDecrypt(input)));
