import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { ProtocolAddress, SenderKeyRecord, SenderKeyStore } from '@signalapp/libsignal-client';
import { addressKey } from '../../sync/client/crypto/ratchet-state.js';
import { loadSignal, type SignalLibrary } from '../../sync/client/crypto/signal-library.js';
import { MIRROR_FILE } from '../../sync/client/client-core.js';
import type { EnvelopeEvent } from '../../sync/protocol/envelope-frames.js';
import type { ConversationEvent } from '../../sync/protocol/frames.js';
import { within, type MembershipFold } from './group-reference.js';
import type { SimWorld } from './world.js';

/**
 * What end-to-end encryption promises beyond delivery: no device reads what it was never meant
 * to, judged from the device's own mirror as a thief holding its disk would have it, against the
 * ciphertexts the server stored (as a server that kept them, or handed them on, would have them):
 *  1. a group's envelope stored outside a person's visibility periods (before they joined, after
 *     they left or were removed, until they were added again) opens on none of their devices,
 *     current or gone;
 *  2. an envelope stored after a device's session ended (unlinked, or its machine lost) opens on
 *     it in no conversation.
 * "Opens": the mirror holds a message at that seq, or its sender keys decrypt the ciphertext (or
 * already did: libsignal says the message was seen).
 */
export async function checkKeys(
  world: SimWorld,
  logs: ReadonlyMap<string, ConversationEvent[]>,
  folds: ReadonlyMap<string, MembershipFold>,
): Promise<string[]> {
  const signal = await loadSignal();
  const problems: string[] = [];
  const everyDevice = [
    ...world.devices.map((device) => ({ device, lastSeqs: null })),
    ...world.gone.map(({ device, lastSeqs }) => ({ device, lastSeqs })),
  ];
  for (const { device, lastSeqs } of everyDevice) {
    if (!device.inspector) continue;
    const keys = new MirrorSenderKeys(signal, join(device.profileDir, MIRROR_FILE));
    try {
      for (const [conversationId, events] of logs) {
        const periods = folds.get(conversationId)?.periods.get(device.user.id) ?? [];
        const isGroup = events[0]?.kind === 'group_created';
        const endedAt = lastSeqs ? (lastSeqs.get(conversationId) ?? 0) : Infinity;
        const held = new Set(device.inspector.messageRows(conversationId).map((row) => row.seq));
        for (const event of events) {
          if (event.kind !== 'envelope' || event.deleted) continue;
          const outside = isGroup && !within(periods, event.seq);
          if (!outside && event.seq <= endedAt) continue;
          const why = outside ? 'outside its person’s periods' : `after its session ended (at seq ${endedAt})`;
          const where = `${device.name}: envelope seq ${event.seq} of ${conversationId.slice(0, 8)}, stored ${why},`;
          if (held.has(event.seq)) problems.push(`${where} is held as a message`);
          else if (await keys.opens(event)) problems.push(`${where} opens with the sender keys in its mirror`);
        }
      }
    } finally {
      keys.close();
    }
  }
  return problems;
}

/**
 * The sender keys a mirror holds, read once, in a store of libsignal's that hands out a fresh copy
 * of a record for every try and keeps nothing: a try never changes what the next one finds.
 */
class MirrorSenderKeys implements SenderKeyStore {
  private readonly records = new Map<string, Uint8Array<ArrayBuffer>>();
  /**
   * The iteration each key was first handed to the person at (the account keeps the first
   * hand-out it got, content/personal-settings.ts: sender_key): libsignal says "old counter" both
   * for a message already opened and for one sealed before that, which this device never could.
   */
  private readonly handedAt = new Map<string, number>();

  constructor(
    private readonly signal: SignalLibrary,
    path: string,
  ) {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT address, distribution_id, record FROM signal_sender_keys').all() as Array<{
        address: string;
        distribution_id: string;
        record: Buffer;
      }>;
      for (const row of rows) this.records.set(`${row.address}/${row.distribution_id}`, new Uint8Array(row.record));
      const kept = db.prepare("SELECT value FROM settings WHERE kind = 'sender_key'").pluck().all() as string[];
      for (const value of kept) {
        const held = JSON.parse(value) as {
          senderId: string;
          deviceNumber: number;
          distributionId: string;
          distribution: string;
        };
        const distribution = signal.SenderKeyDistributionMessage.deserialize(
          new Uint8Array(Buffer.from(held.distribution, 'base64')),
        );
        this.handedAt.set(`${held.senderId}.${held.deviceNumber}/${held.distributionId}`, distribution.iteration());
      }
    } finally {
      db.close();
    }
  }

  close(): void {
    this.records.clear();
  }

  async opens(envelope: Pick<EnvelopeEvent, 'senderId' | 'senderDevice' | 'ciphertext'>): Promise<boolean> {
    const { signal } = this;
    const sealed = new Uint8Array(Buffer.from(envelope.ciphertext, 'base64'));
    const sender = signal.ProtocolAddress.new(envelope.senderId, envelope.senderDevice);
    const message = signal.SenderKeyMessage.deserialize(sealed);
    const key = `${addressKey(sender)}/${message.distributionId()}`;
    if (!this.records.has(key)) return false;
    try {
      await signal.groupDecrypt(sender, this, sealed);
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code !== signal.ErrorCode.DuplicatedMessage) return false;
      return message.iteration() >= (this.handedAt.get(key) ?? 0);
    }
  }

  async saveSenderKey(): Promise<void> {}

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    const record = this.records.get(`${addressKey(sender)}/${distributionId}`);
    return record ? this.signal.SenderKeyRecord.deserialize(record) : null;
  }
}
