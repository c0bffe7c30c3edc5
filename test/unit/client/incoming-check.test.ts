import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IncomingCheck } from '../../../sync/client/attachments/incoming-check.js';
import {
  newSeal,
  PLAIN_CHUNK_BYTES,
  sealChunk,
  SEALED_CHUNK_BYTES,
  HEADER_BYTES,
} from '../../../sync/client/attachments/sealed-file.js';

/** A sealed file of `plain` (sealed-file.ts's format), with its key. */
function sealed(plain: Buffer) {
  const seal = newSeal();
  const parts: Buffer[] = [seal.header];
  const chunks = Math.max(1, Math.ceil(plain.length / PLAIN_CHUNK_BYTES));
  for (let index = 0; index < chunks; index += 1) {
    const piece = plain.subarray(index * PLAIN_CHUNK_BYTES, (index + 1) * PLAIN_CHUNK_BYTES);
    parts.push(...sealChunk(seal, index, piece, index === chunks - 1));
  }
  return { file: Buffer.concat(parts), key: seal.key };
}

/** Feeds `file` to a check in pieces of the sizes `cut` gives, as a network would. */
function checked(file: Buffer, key: Buffer, declared: number, cut: () => number) {
  const check = new IncomingCheck(key, declared);
  for (let at = 0; at < file.length;) {
    const next = Math.min(file.length, at + cut());
    check.update(file.subarray(at, next));
    at = next;
  }
  return check.finish();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a download checked as its bytes come', () => {
  const { file, key } = sealed(randomBytes(3 * PLAIN_CHUNK_BYTES + 1234));

  it('opens every chunk and hashes the bytes however the network cuts them', () => {
    for (const cut of [
      () => 1 + Math.floor(Math.random() * 5_000),
      () => 1 + Math.floor(Math.random() * 200_000),
      () => file.length,
    ]) {
      const result = checked(file, key, file.length, cut);
      expect(result).toMatchObject({ sha256: sha256(file), size: file.length });
      expect('keyId' in result.opened).toBe(true);
    }
  });

  it('says why bytes do not open: another key, chunks swapped, cut short, longer than declared, no header', () => {
    const problem = (bytes: Buffer, withKey = key, declared = bytes.length) => {
      const { opened } = checked(bytes, withKey, declared, () => 10_000);
      return 'problem' in opened ? opened.problem : null;
    };
    expect(problem(file, randomBytes(32))).toMatch(/does not open/);
    const swapped = Buffer.from(file);
    file.copy(swapped, HEADER_BYTES, HEADER_BYTES + SEALED_CHUNK_BYTES, HEADER_BYTES + 2 * SEALED_CHUNK_BYTES);
    file.copy(swapped, HEADER_BYTES + SEALED_CHUNK_BYTES, HEADER_BYTES, HEADER_BYTES + SEALED_CHUNK_BYTES);
    expect(problem(swapped)).toMatch(/does not open/);
    expect(problem(file.subarray(0, HEADER_BYTES + 2 * SEALED_CHUNK_BYTES))).toMatch(/does not open/);
    expect(problem(file.subarray(0, file.length - 100), key, file.length)).toMatch(/not a sealed file/);
    expect(problem(Buffer.concat([file, Buffer.from('more')]), key, file.length)).toMatch(/longer than declared/);
    expect(problem(Buffer.from('no header at all'))).toMatch(/not a sealed file/);
    expect(problem(file)).toBeNull();
  });
});
