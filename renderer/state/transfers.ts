/**
 * Live progress of uploads and downloads. The core reports bytes moved as 'transfer' events (a few
 * a second) without a 'messages' event, so the store keeps the latest figure per attachment of the
 * open conversation here, and a bar shows whichever of it and the message view is further along.
 */
import type { AppEvent, AttachmentView, MessageView } from '../../sync/app-api/contract.js';
import type { LiveTransfer, StoreKit } from './types.js';

export type TransferEvent = Extract<AppEvent, { type: 'transfer' }>;

export function transferKey(messageId: string, index: number): string {
  return `${messageId}/${index}`;
}

/** What a progress bar shows for one attachment, or null when nothing is moving or waiting. */
export interface TransferProgress {
  direction: 'upload' | 'download';
  state: 'queued' | 'active' | 'failed';
  percent: number;
  error: string | null;
}

export function progressOf(attachment: AttachmentView, live: LiveTransfer | undefined): TransferProgress | null {
  const transfer = attachment.transfer;
  if (!transfer) return null;
  let { transferredBytes, totalBytes } = transfer;
  if (live && live.direction === transfer.direction && live.transferredBytes > transferredBytes) {
    ({ transferredBytes, totalBytes } = live);
  }
  const percent = totalBytes > 0 ? Math.min(100, Math.floor((transferredBytes / totalBytes) * 100)) : 0;
  return { direction: transfer.direction, state: transfer.state, percent, error: transfer.error };
}

export function createTransfers(kit: StoreKit) {
  const { get, set } = kit;
  return {
    /** A 'transfer' event: remembered only for the open conversation. */
    apply(event: TransferEvent) {
      if (get().open?.id !== event.conversationId) return;
      const next = new Map(get().transfers);
      next.set(transferKey(event.messageId, event.index), {
        direction: event.direction,
        transferredBytes: event.transferredBytes,
        totalBytes: event.totalBytes,
      });
      set({ transfers: next });
    },
    /** Forgets figures of transfers the messages no longer show (finished, or another conversation). */
    prune(messages: readonly MessageView[]) {
      const current = get().transfers;
      if (current.size === 0) return;
      const moving = new Set<string>();
      for (const message of messages) {
        for (const attachment of message.attachments) {
          if (attachment.transfer) moving.add(transferKey(message.id, attachment.index));
        }
      }
      const next = new Map([...current].filter(([key]) => moving.has(key)));
      if (next.size !== current.size) set({ transfers: next });
    },
    reset() {
      if (get().transfers.size > 0) set({ transfers: new Map() });
    },
  };
}
