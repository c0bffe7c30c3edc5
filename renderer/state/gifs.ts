/**
 * GIFs from the picker's "GIFs" tab (issue 33): searched through this person's server, and the one
 * chosen sent as an ordinary image attachment (the core copies it into the profile's store first),
 * so it goes offline like any photo and recipients never contact the provider.
 */
import { AppApiError, type AttachmentInput, type MessageView } from '../../sync/app-api/contract.js';
import { GIFS_NOT_CONFIGURED, type GifResultView } from '../../sync/app-api/gifs-api.js';
import { ATTACHMENT_LIMITS, sanitizeFileName } from '../../sync/protocol/attachments.js';
import type { GifActions, StoreKit } from './types.js';

interface Deps {
  send: (text: string, replyTo?: string, attachments?: AttachmentInput[]) => Promise<MessageView | null>;
}

/** Why a search found nothing to show, as the GIFs tab says it. */
export type GifProblem = 'not_configured' | 'offline' | 'rate_limited' | 'failed';

export function gifProblemOf(error: unknown): GifProblem {
  if (!(error instanceof AppApiError)) return 'failed';
  if (error.code === 'not_found' && error.message === GIFS_NOT_CONFIGURED) return 'not_configured';
  if (error.code === 'offline') return 'offline';
  if (error.code === 'rate_limited') return 'rate_limited';
  return 'failed';
}

/** The attachment a chosen GIF is sent as: named by its title, at its size as the provider gave it. */
export function gifAttachment(gif: GifResultView, stored: { sha256: string }): AttachmentInput {
  const side = (value: number) => Math.min(Math.max(1, Math.round(value)), ATTACHMENT_LIMITS.maxImageSide);
  return {
    sha256: stored.sha256,
    name: sanitizeFileName(`${gif.title.trim() || 'GIF'}.gif`, 'GIF.gif'),
    kind: 'image',
    width: side(gif.width),
    height: side(gif.height),
  };
}

/** A GIF in a message: an image whose bytes are a GIF (whether or not it came from the GIFs tab). */
export function isGif(attachment: { kind: string; mime: string }): boolean {
  return attachment.kind === 'image' && attachment.mime === 'image/gif';
}

export function createGifs(kit: StoreKit, deps: Deps): { actions: GifActions } {
  const { api } = kit;
  const actions: GifActions = {
    searchGifs: (query, offset) => api.searchGifs({ query, offset }),
    async sendGif(gif, replyTo) {
      const stored = await api.storeGif({ id: gif.id });
      return deps.send('', replyTo, [gifAttachment(gif, stored)]);
    },
  };
  return { actions };
}
