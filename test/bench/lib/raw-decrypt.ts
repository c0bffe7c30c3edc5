/**
 * The floor for opening a catch-up's envelopes: libsignal's groupDecrypt of the same ciphertexts,
 * on one thread, with sender keys in memory taken up (before the clock starts) from the same
 * distribution messages the reader's profile holds; no mirror, no network, no workers. Runs in a
 * child process of its own (raw-decrypt-main.ts), so the 100,000 envelopes it holds never count
 * in the benchmark process's memory, where the client core runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSignal } from '../../../sync/client/crypto/signal-library.js';
import { openDatabase } from '../../../sync/node/sqlite.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { serverMigrations } from '../../../sync/server/store/sqlite-migrations.js';
import { SERVER_DATABASE_FILE, SqliteServerStore } from '../../../sync/server/store/sqlite-server-store.js';
import { ownCpuMs, runTs } from './proc.js';
import { MemorySenderKeys, receiveSenderKeys, type HandedSenderKey } from './sender-keys.js';

export interface RawDecryptInput {
  /** The seeded server folder (the server may be running on it: this only reads). */
  dataDir: string;
  readerId: string;
  conversations: Array<{ id: string; lastSeq: number }>;
  senderKeys: readonly HandedSenderKey[];
}

export interface RawDecrypt {
  /** Envelopes decrypted: every one the reader is served but those deleted for everyone (no ciphertext left). */
  envelopes: number;
  ms: number;
  /** This process's CPU over the same window. */
  cpuMs: number;
}

/** One raw decrypt of every envelope in `input`, in a child process. */
export async function rawDecryptInChild(input: RawDecryptInput, workDir: string): Promise<RawDecrypt> {
  const inputFile = join(workDir, 'raw-decrypt-input.json');
  const outputFile = join(workDir, 'raw-decrypt-output.json');
  writeFileSync(inputFile, JSON.stringify(input));
  await runTs(join('test', 'bench', 'lib', 'raw-decrypt-main.ts'), [inputFile, outputFile], 10 * 60_000);
  return JSON.parse(readFileSync(outputFile, 'utf8')) as RawDecrypt;
}

/** Reads the reader's envelopes from the store, then decrypts them all on this thread, each conversation's in seq order. */
export async function rawDecrypt(input: RawDecryptInput): Promise<RawDecrypt> {
  const signal = await loadSignal();
  const runs = await sealedEnvelopesOf(input);
  const keys = new MemorySenderKeys();
  await receiveSenderKeys(signal, keys, input.senderKeys);
  const cpu0 = ownCpuMs();
  const t0 = performance.now();
  for (const run of runs) {
    for (const envelope of run) {
      const sender = signal.ProtocolAddress.new(envelope.senderId, envelope.senderDevice);
      await signal.groupDecrypt(sender, keys, new Uint8Array(Buffer.from(envelope.ciphertext, 'base64')));
    }
  }
  const ms = performance.now() - t0;
  return { envelopes: runs.reduce((sum, run) => sum + run.length, 0), ms, cpuMs: ownCpuMs() - cpu0 };
}

/** The reader's sealed envelopes as the server serves them, conversation by conversation in seq order. */
async function sealedEnvelopesOf({ dataDir, readerId, conversations }: RawDecryptInput): Promise<EnvelopeEvent[][]> {
  const store = new SqliteServerStore(openDatabase(join(dataDir, SERVER_DATABASE_FILE), serverMigrations));
  try {
    const runs: EnvelopeEvent[][] = [];
    for (const conversation of conversations) {
      const run: EnvelopeEvent[] = [];
      for (let afterSeq = 0; afterSeq < conversation.lastSeq;) {
        const page = await store.readEvents({
          conversationId: conversation.id,
          userId: readerId,
          afterSeq,
          limit: LIMITS.maxCatchUpPage,
        });
        const last = page?.events.at(-1);
        if (!page || !last) throw new Error(`Reading ${conversation.id} after ${afterSeq} found nothing`);
        for (const event of page.events) if (event.kind === 'envelope' && !event.deleted) run.push(event);
        afterSeq = last.seq;
      }
      runs.push(run);
    }
    return runs;
  } finally {
    await store.close();
  }
}
