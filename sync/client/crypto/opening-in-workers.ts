/**
 * Opens a run's envelopes in the worker pool (opening-pool.ts) instead of on this thread, with
 * the outcome envelope-opener.ts would give: an envelope whose key has not come waits, one that
 * does not open is logged and kept. The envelopes go as chains, one per sender key record (a
 * sender in a conversation), each decrypted in seq order, since a record advances message by
 * message; chains of different records run side by side.
 *
 * The decrypts run outside the crypto lane, from the records as stored when the run was read, so
 * other runs open meanwhile. Only `take`, in the lane, makes it ratchet work: if a record changed
 * since (a key handed out again, another run of the same sender), what the workers did is
 * dropped and the caller opens the run on this thread instead. Nothing is stored until the caller
 * applies the run with the ratchet `take` filled, in one transaction, as on this thread.
 */
import type { Logger } from '../../common/logger.js';
import { decodeContent, type Content, type OpenedContent } from '../../content/content.js';
import type { ConversationEvent } from '../../protocol/frames.js';
import type { SignalTables } from '../mirror/signal-tables.js';
import { isForeignEnvelope, openEnvelope, warnUnopened } from './envelope-opener.js';
import type { OpeningPool } from './opening-pool.js';
import type { ChainJob, ChainResult, CrossedError } from './opening-worker.js';
import type { RatchetState } from './ratchet-state.js';
import type { ThisDevice } from './this-device.js';

/** The run opened by the workers, waiting to become ratchet work in the lane. */
export interface WorkerOpening {
  /**
   * In the crypto lane: the opened content, with the records that opened it put in `ratchet`;
   * null when a record changed since the run was read (nothing was put in `ratchet` then).
   */
  take(ratchet: RatchetState): Promise<OpenedContent | null>;
}

interface Chain {
  job: ChainJob;
  address: string;
  /** The record as read, which must still be stored when the run is taken. */
  read: Buffer;
  seqs: number[];
}

/**
 * Reads the run's sealed envelopes and their records, and opens them in the pool when at least
 * `minimum` have a key to open with (fewer cost less on this thread than the round trip); null
 * when they are too few.
 */
export async function openInWorkers(
  device: ThisDevice,
  tables: SignalTables,
  pool: Pick<OpeningPool, 'open'>,
  events: readonly ConversationEvent[],
  minimum: number,
  log: Logger,
): Promise<WorkerOpening | null> {
  const unreadable = new Map<number, unknown>();
  const chains = new Map<string, Chain>();
  let sealedCount = 0;
  for (const event of events) {
    if (!isForeignEnvelope(device, event)) continue;
    try {
      const address = `${event.senderId}.${event.senderDevice}`;
      const claimed = claimedDistributionId(event.ciphertext);
      let distributionId = claimed ?? distributionIdOf(device, event.ciphertext);
      let key = `${address}/${distributionId}`;
      let chain = chains.get(key);
      if (!chain && claimed !== null && !tables.senderKey(address, claimed)) {
        // No record under the id its prefix claims: libsignal's reading of it decides whether it waits.
        distributionId = distributionIdOf(device, event.ciphertext);
        key = `${address}/${distributionId}`;
        chain = chains.get(key);
      }
      if (!chain) {
        const read = tables.senderKey(address, distributionId);
        // Its key is still on its way: it waits, as on this thread.
        if (!read) continue;
        chain = {
          job: {
            senderId: event.senderId,
            senderDevice: event.senderDevice,
            distributionId,
            record: new Uint8Array(read),
            envelopes: [],
          },
          address,
          read,
          seqs: [],
        };
        chains.set(key, chain);
      }
      chain.job.envelopes.push(event.ciphertext);
      chain.seqs.push(event.seq);
      sealedCount += 1;
    } catch (error) {
      unreadable.set(event.seq, error);
    }
  }
  if (sealedCount < minimum) return null;
  const list = [...chains.values()];
  const results = await pool.open(list.map((chain) => chain.job));
  return {
    take: async (ratchet) => {
      if (list.some((chain) => !tables.senderKey(chain.address, chain.job.distributionId)?.equals(chain.read))) return null;
      for (const [at, chain] of list.entries()) {
        const record = results[at]!.record;
        if (!record) continue;
        const sender = device.signal.ProtocolAddress.new(chain.job.senderId, chain.job.senderDevice);
        await ratchet.saveSenderKey(sender, chain.job.distributionId, device.signal.SenderKeyRecord.deserialize(record));
      }
      return contentsOf(device, ratchet, events, unreadable, outcomesBySeq(list, results), log);
    },
  };
}

function outcomesBySeq(chains: readonly Chain[], results: readonly ChainResult[]) {
  const bySeq = new Map<number, ChainResult['outcomes'][number]>();
  chains.forEach((chain, at) => chain.seqs.forEach((seq, index) => bySeq.set(seq, results[at]!.outcomes[index]!)));
  return bySeq;
}

/**
 * What the envelopes said, in seq order, each failure logged as envelope-opener.ts logs it; one
 * that turned out sealed under another record than its chain's opens here, with `ratchet`.
 */
async function contentsOf(
  device: ThisDevice,
  ratchet: RatchetState,
  events: readonly ConversationEvent[],
  unreadable: ReadonlyMap<number, unknown>,
  outcomes: ReadonlyMap<number, ChainResult['outcomes'][number]>,
  log: Logger,
): Promise<OpenedContent> {
  const opened = new Map<number, Content>();
  for (const event of events) {
    if (event.kind !== 'envelope') continue;
    const outcome = outcomes.get(event.seq);
    let content: Content | undefined;
    if (unreadable.has(event.seq)) warnUnopened(log, event, unreadable.get(event.seq));
    else if (!outcome) continue;
    else if ('elsewhere' in outcome) content = await openEnvelope(device, ratchet, event, log);
    else if ('error' in outcome) warnUnopened(log, event, rebuilt(outcome.error));
    else {
      try {
        content = decodeContent(outcome.plaintext);
      } catch (error) {
        warnUnopened(log, event, error);
      }
    }
    if (content) opened.set(event.seq, content);
  }
  return opened;
}

/**
 * The distribution id a SenderKeyMessage's first bytes claim (version, then the protobuf's first
 * field: 16 bytes of UUID), read from a few base64 characters; null when they are not laid out so.
 * Far cheaper than libsignal's parse of the whole message, and checked: the worker tells when
 * libsignal reads another id (an `elsewhere` outcome).
 */
function claimedDistributionId(ciphertext: string): string | null {
  const prefix = Buffer.from(ciphertext.slice(0, 28), 'base64');
  if (prefix.length < 19 || prefix[1] !== 0x0a || prefix[2] !== 0x10) return null;
  const hex = prefix.toString('hex', 3, 19);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function distributionIdOf(device: ThisDevice, ciphertext: string): string {
  return device.signal.SenderKeyMessage.deserialize(new Uint8Array(Buffer.from(ciphertext, 'base64'))).distributionId();
}

/** The worker's error as an Error again, so that it is logged as the same error on this thread would be. */
function rebuilt(crossed: CrossedError): Error {
  const error = new Error(crossed.message);
  error.name = crossed.name;
  return crossed.code === undefined ? error : Object.assign(error, { code: crossed.code });
}
