/**
 * What an opening worker thread runs (opening-pool.ts), and what crosses to it and back. A job is
 * a list of sender key chains, each one sender's key in one conversation (one record) with its
 * envelopes in seq order: the worker decrypts each chain in order over that record alone, and
 * hands back every envelope's plaintext or error and the record as the chain left it. It keeps
 * nothing between jobs, so a worker that dies loses nothing but the job it held.
 */

/**
 * One sender key chain to decrypt: the sender's address, the record's stored bytes, the envelopes
 * in order (as they came, in base64: the worker decodes them, not the thread that applies).
 */
export interface ChainJob {
  senderId: string;
  senderDevice: number;
  distributionId: string;
  record: Uint8Array<ArrayBuffer>;
  envelopes: string[];
}

/** An error that crossed from a worker: what errorFields logs of it. */
export interface CrossedError {
  name: string;
  message: string;
  code?: string;
}

/**
 * What became of an envelope: its plaintext, its error, or `elsewhere` when libsignal found it
 * sealed under another distribution id than the chain's (its prefix said otherwise: a forged
 * envelope, say), so that the record it needs was not the worker's to use.
 */
export type EnvelopeOutcome = { plaintext: Uint8Array<ArrayBuffer> } | { error: CrossedError } | { elsewhere: true };

/** A chain decrypted: an outcome per envelope, in order, and the record's new bytes (null: unchanged). */
export interface ChainResult {
  outcomes: EnvelopeOutcome[];
  record: Uint8Array<ArrayBuffer> | null;
}

export interface JobRequest {
  id: number;
  chains: ChainJob[];
}

export interface JobReply {
  id: number;
  chains: ChainResult[];
}

/**
 * CommonJS evaluated in the worker (it needs no loader for TypeScript, under vitest or in the
 * packaged app alike); `workerData.libsignal` is the library's resolved entry point. The record
 * is kept as libsignal's object between envelopes, as libsignal's own stores do, and serialized
 * once when the chain ends.
 */
export const OPENING_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const signal = require(workerData.libsignal);
const crossed = (error) => ({
  name: error && error.name ? String(error.name) : 'Error',
  message: error && error.message !== undefined ? String(error.message) : String(error),
  ...(error && typeof error.code === 'string' ? { code: error.code } : {}),
});
async function decryptChain(chain) {
  let record;
  try {
    record = signal.SenderKeyRecord.deserialize(chain.record);
  } catch (error) {
    return { outcomes: chain.envelopes.map(() => ({ error: crossed(error) })), record: null };
  }
  let changed = false;
  let elsewhere = false;
  const store = {
    async getSenderKey(_sender, distributionId) {
      if (distributionId === chain.distributionId) return record;
      elsewhere = true;
      return null;
    },
    async saveSenderKey(_sender, distributionId, saved) {
      if (distributionId !== chain.distributionId) throw new Error('A sender key outside the chain was saved');
      record = saved;
      changed = true;
    },
  };
  const sender = signal.ProtocolAddress.new(chain.senderId, chain.senderDevice);
  const outcomes = [];
  for (const base64 of chain.envelopes) {
    elsewhere = false;
    try {
      const sealed = new Uint8Array(Buffer.from(base64, 'base64'));
      outcomes.push({ plaintext: await signal.groupDecrypt(sender, store, sealed) });
    } catch (error) {
      outcomes.push(elsewhere ? { elsewhere: true } : { error: crossed(error) });
    }
  }
  return { outcomes, record: changed ? record.serialize() : null };
}
// One job at a time, in the order they came: interleaved, they would all finish late together,
// and the thread that applies them would wait for the first and then get all at once.
let queue = Promise.resolve();
parentPort.on('message', (job) => {
  queue = queue.then(async () => {
    const chains = [];
    for (const chain of job.chains) chains.push(await decryptChain(chain));
    parentPort.postMessage({ id: job.id, chains });
  });
});
`;
